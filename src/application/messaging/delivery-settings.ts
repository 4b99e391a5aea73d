/** How the outbox delivers messages to other nodes. */
export interface DeliverySettings {
  /** How long a message is retried before its sender's users are told it `expired`. */
  readonly ttlMs: number;
  /** First retry delay after a failed attempt; it doubles after each further failure, up to `retryMaxMs`. */
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  /** How long a user's send waits for the first attempt before it is acknowledged `queued`. */
  readonly ackWaitMs: number;
  /** How often expired messages are looked for. */
  readonly expiryCheckMs: number;
  /** Most messages, and about most bytes of JSON, sent to a meshchat node in one `POST /msgs`. */
  readonly batchMaxMessages: number;
  readonly batchMaxBytes: number;
  /** Most undelivered messages kept in total, and for one destination (broadcasts count only in the total). */
  readonly maxQueued: number;
  readonly maxQueuedPerNode: number;
  /**
   * Admission of users' messages for a destination that answers but falls behind (`domain/admission.ts`): at
   * most this many waiting for it, the oldest waiting at most `admitMaxWaitMs`; past either, a user's new
   * message for it is refused `destination_busy` with `retryAfter`. 0 turns a bound off.
   */
  readonly admitMaxWaiting: number;
  readonly admitMaxWaitMs: number;
}

export const DEFAULT_DELIVERY_SETTINGS: DeliverySettings = {
  ttlMs: 24 * 3_600_000,
  retryBaseMs: 500,
  retryMaxMs: 30_000,
  ackWaitMs: 2_000,
  expiryCheckMs: 1_000,
  batchMaxMessages: 100,
  batchMaxBytes: 256 * 1024,
  maxQueued: 100_000,
  maxQueuedPerNode: 10_000,
  admitMaxWaiting: 2_000,
  admitMaxWaitMs: 2_000,
};
