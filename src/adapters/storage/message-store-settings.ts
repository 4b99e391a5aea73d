import { MESSAGE_ID_MEMORY_MS } from '../../domain/delivery.js';

/** How much a `MessageStore` remembers. */
export interface MessageStoreSettings {
  /** History keeps the newest this many entries (by when they were added); older ones are dropped. */
  readonly historySize: number;
  /** Accepted ids are remembered at least this long after the `now` they were accepted at. */
  readonly dedupWindowMs: number;
  /** At most this many ids are remembered, whatever their age; the oldest accepted go first. */
  readonly maxSeenIds?: number;
}

export const DEFAULT_MESSAGE_STORE_SETTINGS = {
  historySize: 1000,
  dedupWindowMs: MESSAGE_ID_MEMORY_MS,
  maxSeenIds: 1_000_000,
} as const satisfies Required<MessageStoreSettings>;

/**
 * Ids older than the window are forgotten at most this often (on an `accept` whose `now` is this far past the
 * last pruning), so an id may be remembered up to this much longer than `dedupWindowMs`.
 */
export const SEEN_PRUNE_INTERVAL_MS = 60_000;
