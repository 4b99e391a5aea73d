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
};
