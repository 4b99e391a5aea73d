import type { HistoryEntry } from '../../domain/delivery.js';

/**
 * Where a home node keeps the direct messages that reached a user while none of their connections was open,
 * until one opens (its data dir, so they survive a restart).
 *
 * - Every method is synchronous, fast (indexed by user) and durable once it returns; it throws only when the
 *   storage fails (disk full, database closed), which the caller reports as an internal error.
 * - Names are compared exactly: callers pass the lower-case account name.
 * - `add` is idempotent by message id per user: adding an id the user's inbox holds changes nothing.
 * - The bound per user is the caller's rule (`count` before `add`); the store keeps what it is given.
 * - `close` releases the store; later calls throw.
 */
export interface Inbox {
  add(name: string, entry: HistoryEntry): void;
  /** How many messages wait for `name`. */
  count(name: string): number;
  /** The messages waiting for `name`, in the order they were added. */
  list(name: string): HistoryEntry[];
  /** Removes those of `ids` that wait for `name` (they were handed to a connection). */
  remove(name: string, ids: readonly string[]): void;
  /** Removes everything waiting for `name` (the account is gone); returns how many. */
  clear(name: string): number;
  close(): void;
}
