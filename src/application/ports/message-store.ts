import type { DeliveryStatus, HistoryEntry, OutboxEntry } from '../../domain/delivery.js';
import type { ChatMessage } from '../../domain/message.js';

/** A message to put in the outbox for one destination node. */
export type NewOutboxEntry = Omit<OutboxEntry, 'key'>;

/** What `enqueue` stored: the outbox entries, and the history entry it added for an outgoing message. */
export interface Enqueued {
  readonly entries: OutboxEntry[];
  readonly outgoing?: HistoryEntry;
}

/**
 * Where a node keeps what must survive a restart about messages: the ids it accepted (de-duplication), the
 * history its users see, and the outbox of messages not yet delivered to other nodes.
 *
 * - Reads (`seen`, `pending`, `history`) are synchronous and see every write already called, even one not yet
 *   durable.
 * - Writes return promises that resolve once the change is durable (it survives the process being killed) and
 *   reject only when the storage fails (disk full, data dir gone): the caller then reports an internal error,
 *   so nothing is acknowledged that was not kept. Writes take effect in call order; an adapter may commit
 *   several in one transaction (batching), which delays each resolve by at most one turn of the event loop.
 * - History keeps the newest `historySize` entries (the adapter's setting) and ids are remembered for the
 *   adapter's de-duplication window; older ones are forgotten.
 * - `close` flushes what was written and releases the store. Later `accept` and `enqueue` reject with
 *   `StoreClosed` (nothing new can be kept, so nothing may be acknowledged); later `settle` and `setStatus`
 *   resolve doing nothing (what they would change is redone after a restart); reads return nothing.
 */
export interface MessageStore {
  /** Whether a message with this id was accepted for this node's users (within the de-duplication window). */
  seen(id: string): boolean;
  /**
   * Accepts a message for this node's users: remembers its id and adds it to history. Resolves with the
   * history entry, or `undefined` when the id was already accepted (a duplicate: nothing is written).
   * `now` is the clock time used for the de-duplication window.
   */
  accept(message: ChatMessage, now: number): Promise<HistoryEntry | undefined>;
  /**
   * Puts a message in the outbox, one entry per destination, in one atomic write. With `outgoing`, the message
   * is also added to history with status `queued` (a message this node's users sent) unless its id is there
   * already. Resolves with the entries, their keys growing in call order, and the history entry it added.
   */
  enqueue(
    entries: readonly NewOutboxEntry[],
    options?: { readonly outgoing?: ChatMessage },
  ): Promise<Enqueued>;
  /** Removes entries from the outbox (delivered, expired or failed). Unknown keys are ignored. */
  settle(keys: readonly number[]): Promise<void>;
  /**
   * Sets the status of a history entry and moves its cursor; resolves with the updated entry, or `undefined`
   * when the id is not (or no longer) in history.
   */
  setStatus(id: string, status: DeliveryStatus): Promise<HistoryEntry | undefined>;
  /** Every outbox entry, oldest first. */
  pending(): OutboxEntry[];
  /**
   * History entries in the order they were added: all that are kept, or with `since` only those added or
   * changed after that cursor. A `since` above the newest cursor (a store that was reset) returns all.
   */
  history(since?: number): HistoryEntry[];
  /**
   * A page of history going back: the newest `limit` entries added before the entry with id `before` (before the
   * end without it), oldest first, in the order they were added. An id not (or no longer) in history gives none.
   * Indexed: its cost grows with `limit`, not with the size of history.
   */
  historyBefore(before: string | undefined, limit: number): HistoryEntry[];
  close(): Promise<void>;
}
