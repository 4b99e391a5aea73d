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

  /** No parcel here expires before this (a lower bound: parcels that leave do not raise it). */
  #soonestExpiry = Number.POSITIVE_INFINITY;

  /** Adds a message in key order (keys grow in call order, so this is almost always an append). */
  insert(entry: OutboxEntry, answer: Parcel['answer'], now: number): Parcel {
    const parcel: Parcel = { entry, since: now, answer, inFlight: false };
    let at = this.parcels.length;
    while (at > 0 && (this.parcels[at - 1] as Parcel).entry.key > entry.key) at--;
    if (at === this.parcels.length) this.parcels.push(parcel);
    else this.parcels.splice(at, 0, parcel);
    if (entry.expiresAt < this.#soonestExpiry) this.#soonestExpiry = entry.expiresAt;
    return parcel;
  }

  remove(parcel: Parcel): void {
    const parcels = this.parcels;
    // Messages settle from the head, in order, a batch at a time: `shift` moves the array's start, where
    // `splice(0, 1)` copied the rest of the lane, some microseconds per message with 2,000 waiting (overload).
    if (parcels[0] === parcel) {
      parcels.shift();
      return;
    }
    const index = parcels.indexOf(parcel);
    if (index >= 0) parcels.splice(index, 1);
  }

  /**
   * The messages not in flight whose time to live has run out at `now`, in lane order. Each call would look at
   * every message waiting; it looks only once one can have expired, so a long lane costs nothing per batch.
   */
  expiredAt(now: number): readonly Parcel[] {
    if (this.#soonestExpiry > now) return NONE_EXPIRED;
    const expired: Parcel[] = [];
    let soonest = Number.POSITIVE_INFINITY;
    for (const parcel of this.parcels) {
      const at = parcel.entry.expiresAt;
      if (!parcel.inFlight && at <= now) expired.push(parcel);
      else if (at < soonest) soonest = at;
    }
    this.#soonestExpiry = soonest;
    return expired;
  }

  /** The head of the lane: one message, or with `batch` as many as fit in one `POST /msgs`. */
  take(batch: boolean): Parcel[] {
    const parcels = this.parcels;
    const taken = [parcels[0] as Parcel];
    if (!batch || this.noBatch) return taken;
    const limit = Math.min(this.batchLimit, parcels.length);
    const max = this.batchMax.bytes;
    // Sized by a bound while the bounds fit (no message encoded just to be measured); exactly once they do not.
    let exact = false;
    let bytes = boundOf(taken[0] as Parcel);
    if (bytes > max) {
      exact = true;
      bytes = sizeOf(taken[0] as Parcel);
    }
    for (let i = 1; i < limit; i++) {
      const parcel = parcels[i] as Parcel;
      let size = exact ? sizeOf(parcel) : boundOf(parcel);
      if (!exact && bytes + size > max) {
        exact = true;
        bytes = taken.reduce((sum, p) => sum + sizeOf(p), 0);
        size = sizeOf(parcel);
      }
      bytes += size;
      if (bytes > max) break;
      taken.push(parcel);
    }
    return taken;
  }
}

const NONE_EXPIRED: readonly Parcel[] = [];

/** Measured once, and only for messages that may go in a batch (a lone message needs no size). */
function sizeOf(parcel: Parcel): number {
  parcel.bytes ??= utf8Length(JSON.stringify(parcel.entry.message));
  return parcel.bytes;
}

/** Field names, quotes, colons, commas, braces, a relay count and `verified`: less than this in any message. */
const FIXED_BYTES = 256;

/**
 * At least `sizeOf(parcel)`: a JSON string takes at most 6 bytes per UTF-16 unit (`\u` escapes; other units
 * are at most 3 UTF-8 bytes). A message with a file reference is measured exactly.
 */
function boundOf(parcel: Parcel): number {
  const { id, from, to, msg, ts, user, fromUser, sig, file } = parcel.entry.message;
  if (file !== undefined) return sizeOf(parcel);
  const units =
    id.length +
    from.length +
    to.length +
    msg.length +
    ts.length +
    (user?.length ?? 0) +
    (fromUser?.length ?? 0) +
    (sig?.length ?? 0);
  return FIXED_BYTES + 6 * units;
}
