import type { HistoryEntry } from '../../domain/delivery.js';
import { isDirect, visibleTo } from '../../domain/direct-message.js';
import { utf8Length } from '../../domain/message.js';
import type { Inbox } from '../ports/inbox.js';
import type { MessageStore } from '../ports/message-store.js';

/** Most bytes of history (JSON) handed to one connection at once: a client that reconnects in a loop cannot make it huge. */
export const MAX_HISTORY_BYTES = 4 * 1024 * 1024;
/** Messages of history a connection is sent on connect, and per page when it asks without a `limit`. */
export const DEFAULT_HISTORY_PAGE = 100;
/** The most messages one page may hold, whatever a client asks for. */
export const MAX_HISTORY_PAGE = 500;
/** Entries read from the store at a time while a page is filled with entries the viewer may see. */
const SCAN_CHUNK = 256;

/** A logged-in connection's user: the account name and its address `name@node`. */
export interface Viewer {
  readonly name: string;
  readonly address: string;
  /**
   * When the account was created (ms). Direct messages in history stamped (`ts`) before it belong to an
   * earlier account of the same name, which was unregistered, and are not shown.
   */
  readonly since?: number;
}

export interface HistoryQuery {
  /** The connection's cursor: only entries added or changed after it (all kept without one). */
  readonly since?: number;
  /** Who asks; anonymous connections see no direct message. */
  readonly viewer?: Viewer;
  /** Only the viewer's direct messages (for a connection that logged in after it was sent the rest). */
  readonly directOnly?: boolean;
}

/** A request for the page of history before a message. */
export interface OlderQuery {
  /** The id of the oldest message the client has; the page holds what was added before it. */
  readonly before: string;
  /** At most this many messages (default and cap: the settings'). */
  readonly limit?: number;
  readonly viewer?: Viewer;
}

/** A page of history, oldest first. */
export interface HistoryPage {
  readonly messages: HistoryEntry[];
  /** Whether history holds older messages this viewer may see: ask for them with `before`. */
  readonly more: boolean;
  /** The id of the oldest kept message in the page, to page back from (absent when the page is empty). */
  readonly before?: string;
}

export interface HistorySettings {
  readonly maxBytes?: number;
  /** Messages per page (on connect, and the default of a request); `DEFAULT_HISTORY_PAGE`. */
  readonly page?: number;
  /** The cap on a request's `limit`; `MAX_HISTORY_PAGE`. */
  readonly maxPage?: number;
}

/**
 * The history a connection is sent, one page at a time, never the whole of it. On connect (`execute`): the newest
 * `page` kept entries after its cursor that it may see (`visibleTo`: no direct message for anyone but its two
 * parties, nor one from before their account existed), with `more` when older ones are kept; and, for a
 * logged-in user, every direct message waiting in their inbox, whatever the cursor (they have never been handed
 * to any of the user's connections). The inbox messages handed out here leave the inbox: the user has them now.
 * Then `older` pages back from the oldest message the client has.
 *
 * A page is at most `maxBytes` of JSON, the newest entries that fit; waiting messages come first, being the
 * oldest, and one that did not fit stays in the inbox for the next connection.
 */
export class ReadHistory {
  readonly #maxBytes: number;
  readonly page: number;
  readonly maxPage: number;

  constructor(
    private readonly deps: {
      readonly store: Pick<MessageStore, 'history' | 'historyBefore'>;
      readonly inbox?: Inbox;
    },
    settings: HistorySettings = {},
  ) {
    this.#maxBytes = settings.maxBytes ?? MAX_HISTORY_BYTES;
    this.maxPage = Math.max(1, settings.maxPage ?? MAX_HISTORY_PAGE);
    this.page = Math.min(this.maxPage, Math.max(1, settings.page ?? DEFAULT_HISTORY_PAGE));
  }

  execute(query: HistoryQuery = {}): HistoryPage {
    const { store, inbox } = this.deps;
    const { since, viewer, directOnly } = query;
    const shows = (entry: HistoryEntry) =>
      (directOnly ? isDirect(entry) : true) && this.#visible(entry, viewer);
    let kept: HistoryEntry[];
    let more: boolean;
    if (since === undefined) {
      ({ entries: kept, more } = this.#scanBack(undefined, this.page, shows));
    } else {
      const changed = store.history(since).filter(shows);
      kept = changed.slice(-this.page);
      more = changed.length > kept.length;
    }
    const waiting = viewer && inbox ? inbox.list(viewer.name) : [];
    const shown = new Set(kept.map((entry) => entry.id));
    const extra = waiting.filter((entry) => !shown.has(entry.id));
    const sent = newestThatFit([...extra, ...kept], this.#maxBytes);
    if (viewer && inbox && waiting.length > 0) {
      const handed = new Set(sent.map((entry) => entry.id));
      inbox.remove(
        viewer.name,
        waiting.filter((entry) => handed.has(entry.id)).map((entry) => entry.id),
      );
    }
    const oldest = sent.find((entry) => !extra.includes(entry));
    if (sent.length < extra.length + kept.length) more = true;
    // With a cursor, older messages may be kept that did not change after it: the client may page back to them.
    else if (since !== undefined && !more && oldest)
      more = this.#scanBack(oldest.id, 1, shows).entries.length > 0;
    return { messages: sent, more, ...(oldest ? { before: oldest.id } : {}) };
  }

  /** The page before `before` that the viewer may see, oldest first; `limit` is capped at `maxPage`. */
  older(query: OlderQuery): HistoryPage {
    const limit = Math.min(this.maxPage, Math.max(1, Math.floor(query.limit ?? this.page)));
    const { entries, more } = this.#scanBack(query.before, limit, (entry) =>
      this.#visible(entry, query.viewer),
    );
    const sent = newestThatFit(entries, this.#maxBytes);
    const oldest = sent[0];
    return {
      messages: sent,
      more: more || sent.length < entries.length,
      ...(oldest ? { before: oldest.id } : {}),
    };
  }

  #visible(entry: HistoryEntry, viewer: Viewer | undefined): boolean {
    return (
      visibleTo(entry, viewer?.address) &&
      !(isDirect(entry) && viewer?.since !== undefined && Date.parse(entry.ts) < viewer.since)
    );
  }

  /**
   * The newest `limit` entries before `before` that `shows` keeps, oldest first, and whether there is at least
   * one more: read back from the store a chunk at a time, so an anonymous viewer's page skips others' direct
   * messages without reading the whole of history at once.
   */
  #scanBack(
    before: string | undefined,
    limit: number,
    shows: (entry: HistoryEntry) => boolean,
  ): { entries: HistoryEntry[]; more: boolean } {
    const found: HistoryEntry[] = [];
    let anchor = before;
    const want = Math.max(SCAN_CHUNK, limit + 1);
    for (;;) {
      const chunk = this.deps.store.historyBefore(anchor, want);
      for (let i = chunk.length - 1; i >= 0; i--) {
        const entry = chunk[i] as HistoryEntry;
        if (!shows(entry)) continue;
        if (found.length === limit) return { entries: found.reverse(), more: true };
        found.push(entry);
      }
      if (chunk.length < want) break;
      anchor = chunk[0]?.id;
    }
    return { entries: found.reverse(), more: false };
  }
}

/** The newest entries (the end of the list) whose JSON fits in `maxBytes`, in their order. */
export function newestThatFit<T>(entries: readonly T[], maxBytes: number): T[] {
  let bytes = 0;
  let first = entries.length;
  while (first > 0) {
    bytes += utf8Length(JSON.stringify(entries[first - 1]));
    if (bytes > maxBytes) break;
    first--;
  }
  return entries.slice(first);
}
