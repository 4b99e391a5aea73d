import type { HistoryEntry } from '../../domain/delivery.js';
import { isDirect, visibleTo } from '../../domain/direct-message.js';
import { utf8Length } from '../../domain/message.js';
import type { Inbox } from '../ports/inbox.js';
import type { MessageStore } from '../ports/message-store.js';

/** Most bytes of history (JSON) handed to one connection at once: a client that reconnects in a loop cannot make it huge. */
export const MAX_HISTORY_BYTES = 4 * 1024 * 1024;

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

/**
 * The history a connection is sent: the node's kept entries after its cursor that it may see (`visibleTo`: no
 * direct message for anyone but its two parties, nor one from before their account existed), and, for a logged-in user, every direct message waiting in
 * their inbox, whatever the cursor (they have never been handed to any of the user's connections). The inbox
 * messages handed out here leave the inbox: the user has them now.
 *
 * At most `maxBytes` of JSON, the newest entries that fit; waiting messages come first, being the oldest, and
 * one that did not fit stays in the inbox for the next connection.
 */
export class ReadHistory {
  readonly #maxBytes: number;

  constructor(
    private readonly deps: { readonly store: Pick<MessageStore, 'history'>; readonly inbox?: Inbox },
    settings: { readonly maxBytes?: number } = {},
  ) {
    this.#maxBytes = settings.maxBytes ?? MAX_HISTORY_BYTES;
  }

  execute(query: HistoryQuery = {}): HistoryEntry[] {
    const { store, inbox } = this.deps;
    const { since, viewer, directOnly } = query;
    const kept = store
      .history(since)
      .filter(
        (entry) =>
          (directOnly ? isDirect(entry) : true) &&
          visibleTo(entry, viewer?.address) &&
          !(isDirect(entry) && viewer?.since !== undefined && Date.parse(entry.ts) < viewer.since),
      );
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
    return sent;
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
