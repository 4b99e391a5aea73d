import {
  type AckReport,
  type ChatMessage,
  EVERYONE,
  type FileReference,
  type OutgoingMessage,
  type StatusEvent,
  type WireError,
} from '../../src/client/index.js';

/** The statuses a node reports for a message sent from it; a status this page does not know is not drawn. */
export type WireStatus = 'delivered' | 'queued' | 'expired' | 'failed';

/**
 * Where a message sent from this node stands, as its tick shows it: a wire status, or what the page knows
 * without one (`sending`: no ack yet; `unconfirmed`: the ack never came, the node may or may not have it;
 * `sent`: shown as sent, with no status from the node).
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
  /** The file the message points to (shown as a card, and sent again with a resend). */
  file?: FileReference;
  /** The status of the message as a whole: from the ack, the history, a push or a status event. */
  base: SendState;
  detail?: string;
  /** Broadcasts: the final status per destination node, from status events. */
  perNode: Map<string, NodeOutcome>;
  /** Sent from this browser (now or in an earlier page load), not by another user of the node. */
  byThisPage: boolean;
  /** Sent by the user this page is signed in as, from another browser or tab (their address is its `fromUser`). */
  byMe?: boolean;
  /** Grows with every change, so a view can tell cheaply that it must draw the entry again. */
  version: number;
}

/** Ids of messages this browser sent, kept across page loads so the history shows them as this page's. */
export interface SentMemory {
  has(id: string): boolean;
  add(id: string): void;
}

/** Sends kept by ref (a send whose ack was lost may be found again in the history) and entries by id. */
const MAX_BY_REF = 200;
const MAX_BY_ID = 5000;
const MAX_EARLY_ACKS = 20;
/** Acks that say nothing of the send's fate: the node may have it (the history may tell later). */
const FATE_UNKNOWN = new Set(['connection_lost', 'ack_timeout']);

function wireStatus(status: string | undefined): WireStatus | undefined {
  return status === 'delivered' || status === 'queued' || status === 'expired' || status === 'failed'
    ? status
    : undefined;
}

function errorText(error: WireError): string {
  return error.code && error.message !== error.code ? `${error.message} (${error.code})` : error.message;
}

function keep<T>(map: Map<string, T>, key: string, value: T, limit: number): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > limit) {
    const oldest = map.keys().next();
    if (!oldest.done) map.delete(oldest.value);
  }
}

function change(entry: SentEntry, base: SendState, detail?: string): void {
  entry.base = base;
  if (detail === undefined) delete entry.detail;
  else entry.detail = detail;
  entry.version += 1;
}

/**
 * The ticks of the messages sent from this node, as the page draws them. The client core decides what each
 * ack, status event and history entry means (which send it settles, what is news); this folds those events
 * into one entry per message, with a broadcast's outcome per node. Each method returns the entry it changed.
 */
export class SentMessages {
  readonly #byRef = new Map<string, SentEntry>();
  readonly #byId = new Map<string, SentEntry>();
  readonly #earlyAcks = new Map<string, AckReport>();

  constructor(private readonly memory: SentMemory) {}

  /** A send of this page, just handed to the client core as `ref`. */
  sending(ref: string, message: OutgoingMessage): SentEntry {
    const entry: SentEntry = {
      ref,
      to: message.to,
      msg: message.msg,
      base: 'sending',
      perNode: new Map(),
      byThisPage: true,
      version: 0,
    };
    if (message.user !== undefined) entry.user = message.user;
    if (message.file !== undefined) entry.file = message.file;
    keep(this.#byRef, ref, entry, MAX_BY_REF);
    const early = this.#earlyAcks.get(ref);
    if (early) {
      this.#earlyAcks.delete(ref);
      this.acked(early);
    }
    return entry;
  }

  /** The core settled send `report.ref`. A send refused at once is settled before `sending` is called. */
  acked(report: AckReport): SentEntry | undefined {
    const entry = this.#byRef.get(report.ref);
    if (!entry) {
      keep(this.#earlyAcks, report.ref, report, MAX_EARLY_ACKS);
      return undefined;
    }
    const { result } = report;
    if (result.id !== undefined) this.#register(entry, result.id);
    if (result.ok) change(entry, wireStatus(result.status) ?? 'sent');
    else if (FATE_UNKNOWN.has(result.error.code)) change(entry, 'unconfirmed', result.error.message);
    else change(entry, 'failed', errorText(result.error));
    return entry;
  }

  /** The node's copy of send `ref` (pushed back before the ack, or in the history after a lost ack). */
  claimed(ref: string, message: ChatMessage): SentEntry | undefined {
    const entry = this.#byRef.get(ref);
    if (!entry) return undefined;
    if (message.id !== undefined) this.#register(entry, message.id);
    const status = wireStatus(message.status);
    if (status) change(entry, status);
    return entry;
  }

  /** A status event, or a status change the history told. A broadcast's event about one node is that node's. */
  status(event: StatusEvent): SentEntry | undefined {
    const entry = this.#byId.get(event.id);
    const status = wireStatus(event.status);
    if (!entry || !status) return undefined;
    const error = event.error?.message;
    if (entry.to === EVERYONE && event.node !== undefined && event.node !== EVERYONE) {
      entry.perNode.set(event.node, error === undefined ? { status } : { status, error });
      entry.version += 1;
    } else {
      change(entry, status, error);
    }
    return entry;
  }

  /**
   * The entry of a message shown from the node that is not a send of this page now: one this browser sent in
   * an earlier page load (its id is remembered), or one another user of this node sent (the node gives it a
   * status). Undefined for a message from elsewhere. `me`, the signed-in address, tells the user's own
   * messages sent from another browser or tab from another user's.
   */
  fromThisNode(message: ChatMessage, selfId: string | undefined, me?: string): SentEntry | undefined {
    const id = message.id;
    const remembered = id !== undefined && this.memory.has(id);
    const fromHere = message.status !== undefined && message.from !== undefined && message.from === selfId;
    if (!remembered && !fromHere) return undefined;
    const entry: SentEntry = {
      to: message.to ?? '',
      msg: message.msg,
      base: wireStatus(message.status) ?? 'sent',
      perNode: new Map(),
      byThisPage: remembered,
      version: 0,
    };
    if (me !== undefined && message.fromUser === me) entry.byMe = true;
    if (message.user !== undefined) entry.user = message.user;
    if (id !== undefined) this.#register(entry, id);
    return entry;
  }

  #register(entry: SentEntry, id: string): void {
    entry.id = id;
    keep(this.#byId, id, entry, MAX_BY_ID);
    if (entry.byThisPage) this.memory.add(id);
  }
}
