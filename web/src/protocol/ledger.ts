import type { AckFrame, ChatMessage, StatusFrame, WireStatus } from './frames.js';
import { EVERYONE } from './frames.js';

/**
 * Where a message sent from this node stands: a wire status, or what the page knows before or without one
 * (`sending`: no ack yet; `unconfirmed`: the connection dropped before the ack; `sent`: shown as sent, with
 * no status from the node).
 */
export type SendState = WireStatus | 'sending' | 'unconfirmed' | 'sent';

export interface NodeOutcome {
  status: WireStatus;
  error?: string;
}

/** A message sent from this node: by this page, or by another user of it (known from the node). */
export interface SentEntry {
  ref?: string;
  id?: string;
  to: string;
  msg: string;
  user?: string;
  /** The status of the message as a whole: from the ack, the history, a push or a status frame. */
  base: SendState;
  detail?: string;
  /** Broadcasts: the final status per destination node, from status frames. */
  perNode: Map<string, NodeOutcome>;
  /** Sent from this browser (now or in an earlier page load), not by another user of the node. */
  byThisPage: boolean;
  /** Grows with every change, so a view can tell cheaply that it must draw the entry again. */
  version: number;
}

/** Sent messages whose ack was lost with the connection, kept to be matched with the history on reconnect. */
const MAX_UNCONFIRMED = 50;
/** Status frames kept for messages the page does not know (yet). */
const MAX_EARLY_STATUS = 200;
/** Sent messages kept by id for status frames to find; older ones are long settled. */
const MAX_BY_ID = 5000;

function sameText(entry: SentEntry, m: ChatMessage): boolean {
  return entry.to === m.to && entry.msg === m.msg && (entry.user ?? '') === (m.user ?? '');
}

/**
 * The sent-message ledger: finds a sent message by its ref (until the ack) or by its id (after), applies acks
 * and status frames in whatever order they come, and matches sends whose ack was lost with what the node
 * reports later. Every method that changes an entry returns it.
 */
export class Ledger {
  readonly #byRef = new Map<string, SentEntry>();
  readonly #byId = new Map<string, SentEntry>();
  readonly #early = new Map<string, StatusFrame[]>();
  readonly #unconfirmed: SentEntry[] = [];

  get(id: string): SentEntry | undefined {
    return this.#byId.get(id);
  }

  /** A send just written to the socket, waiting for its ack. */
  sending(entry: SentEntry & { ref: string }): void {
    this.#byRef.set(entry.ref, entry);
  }

  ack(ack: AckFrame): SentEntry | undefined {
    const entry = this.#byRef.get(ack.ref);
    if (!entry) return undefined;
    this.#byRef.delete(ack.ref);
    if (!ack.ok) {
      const err = ack.error ?? { code: '', message: 'refused' };
      change(
        entry,
        'failed',
        err.code && err.message !== err.code ? `${err.message} (${err.code})` : err.message,
      );
      return entry;
    }
    change(entry, ack.status ?? 'delivered');
    if (ack.id) this.register(entry, ack.id);
    return entry;
  }

  status(update: StatusFrame): SentEntry | undefined {
    const entry = this.#byId.get(update.id);
    if (entry) {
      applyStatus(entry, update);
      return entry;
    }
    const early = this.#early.get(update.id) ?? [];
    early.push(update);
    this.#early.delete(update.id);
    this.#early.set(update.id, early);
    if (this.#early.size > MAX_EARLY_STATUS) {
      const oldest = this.#early.keys().next().value;
      if (oldest !== undefined) this.#early.delete(oldest);
    }
    return undefined;
  }

  /** Files an entry under its id (status frames find it there) and applies any status that came early. */
  register(entry: SentEntry, id: string): void {
    entry.id = id;
    this.#byId.delete(id);
    this.#byId.set(id, entry);
    if (this.#byId.size > MAX_BY_ID) {
      const oldest = this.#byId.keys().next().value;
      if (oldest !== undefined) this.#byId.delete(oldest);
    }
    const early = this.#early.get(id);
    if (early) {
      this.#early.delete(id);
      for (const update of early) applyStatus(entry, update);
    }
  }

  /** The connection dropped: sends still waiting for an ack may or may not have reached the node. */
  connectionLost(): SentEntry[] {
    const changed: SentEntry[] = [];
    for (const entry of this.#byRef.values()) {
      if (entry.base !== 'sending') continue;
      change(entry, 'unconfirmed', 'connection lost before the node confirmed');
      this.#unconfirmed.push(entry);
      if (this.#unconfirmed.length > MAX_UNCONFIRMED) this.#unconfirmed.shift();
      changed.push(entry);
    }
    this.#byRef.clear();
    return changed;
  }

  /** A history entry that is a send whose ack was lost: it gets its id and its real status. */
  adoptUnconfirmed(m: ChatMessage & { id: string }, status: WireStatus): SentEntry | undefined {
    const i = this.#unconfirmed.findIndex((e) => e.id === undefined && sameText(e, m));
    const entry = this.#unconfirmed[i];
    if (!entry) return undefined;
    this.#unconfirmed.splice(i, 1);
    change(entry, status);
    this.register(entry, m.id);
    return entry;
  }

  /**
   * The node pushes a message to itself or to everyone back to its users, often before the ack: the copy that
   * matches a send still waiting for its ack is that send, not a new message.
   */
  adoptEcho(m: ChatMessage & { id: string }): SentEntry | undefined {
    for (const entry of this.#byRef.values()) {
      if (entry.id !== undefined || !sameText(entry, m)) continue;
      this.register(entry, m.id);
      return entry;
    }
    return undefined;
  }
}

export function change(entry: SentEntry, base: SendState, detail?: string): void {
  entry.base = base;
  entry.detail = detail;
  entry.version += 1;
}

/** A broadcast's status frames are per destination node; one about the whole message sets its status. */
function applyStatus(entry: SentEntry, update: StatusFrame): void {
  if (entry.to === EVERYONE && update.node !== undefined && update.node !== EVERYONE) {
    const outcome: NodeOutcome = { status: update.status };
    if (update.error !== undefined) outcome.error = update.error;
    entry.perNode.set(update.node, outcome);
    entry.version += 1;
  } else {
    change(entry, update.status, update.error);
  }
}
