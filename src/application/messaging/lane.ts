import type { OutboxEntry } from '../../domain/delivery.js';
import { utf8Length } from '../../domain/message.js';

/** What the sender of a message is acknowledged with, per destination. */
export type FirstOutcome =
  | { readonly status: 'delivered' | 'queued' }
  | { readonly status: 'failed'; readonly error: Refusal };

/** Why a destination refused a message for good: its error code and sentence, and its HTTP status. */
export type Refusal = { readonly code: string; readonly message: string; readonly status: number };

/** A message for one destination, in memory beside its outbox row. */
export interface Parcel {
  readonly entry: OutboxEntry;
  /** When it entered this lane (this node's clock): its wait, for admission. */
  readonly since: number;
  /** Its size on the wire (UTF-8 bytes of its JSON), measured when a batch is first sized with it. */
  bytes?: number;
  /** The sender still waiting for its first outcome; cleared once answered. */
  answer: ((outcome: FirstOutcome) => void) | undefined;
  inFlight: boolean;
}

/**
 * The messages for one destination, oldest (lowest outbox key) first, sent strictly in that order, one call
 * at a time. `failures` and `retryAt` are its backoff; `batchLimit` shrinks when batches time out, and
 * `noBatch` is set for a peer that cannot take `POST /msgs`.
 */
export class Lane {
  readonly parcels: Parcel[] = [];
  failures = 0;
  retryAt = 0;
  running = false;
  noBatch = false;
  batchLimit: number;
  wake: (() => void) | undefined;

  constructor(
    readonly node: string,
    readonly batchMax: { readonly messages: number; readonly bytes: number },
  ) {
    this.batchLimit = batchMax.messages;
  }

  /** Adds a message in key order (keys grow in call order, so this is almost always an append). */
  insert(entry: OutboxEntry, answer: Parcel['answer'], now: number): Parcel {
    const parcel: Parcel = { entry, since: now, answer, inFlight: false };
    let at = this.parcels.length;
    while (at > 0 && (this.parcels[at - 1] as Parcel).entry.key > entry.key) at--;
    this.parcels.splice(at, 0, parcel);
    return parcel;
  }

  remove(parcel: Parcel): void {
    const index = this.parcels.indexOf(parcel);
    if (index >= 0) this.parcels.splice(index, 1);
  }

  /** The head of the lane: one message, or with `batch` as many as fit in one `POST /msgs`. */
  take(batch: boolean): Parcel[] {
    const [head, ...rest] = this.parcels as [Parcel, ...Parcel[]];
    const taken = [head];
    if (!batch || this.noBatch) return taken;
    let bytes = sizeOf(head);
    for (const parcel of rest) {
      if (taken.length >= this.batchLimit) break;
      bytes += sizeOf(parcel);
      if (bytes > this.batchMax.bytes) break;
      taken.push(parcel);
    }
    return taken;
  }
}

/** Measured once, and only for messages that may go in a batch (a lone message needs no size). */
function sizeOf(parcel: Parcel): number {
  parcel.bytes ??= utf8Length(JSON.stringify(parcel.entry.message));
  return parcel.bytes;
}
