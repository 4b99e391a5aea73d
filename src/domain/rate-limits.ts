import type { Budget } from './token-bucket.js';

/** The node's rate limits (SPEC section 7): each a sustained rate per second and a burst. */
export interface RateLimitSettings {
  /** HTTP requests per client address to every route but the node-to-node ones. */
  readonly http: Budget;
  /** HTTP requests per client address to the node-to-node routes (`/nodes…`, `/msg`, `/msgs`, `/probe`). */
  readonly peer: Budget;
  /** Frames a user connection sends: socket.io `msg` events, `/ws` frames of any kind. */
  readonly connection: Budget;
  /** Messages a logged-in account sends, over all its connections together. */
  readonly account: Budget;
}

/**
 * Far above what a person or a chat script does, far below what floods a node. Node-to-node traffic is
 * batched (`POST /msgs`), so thousands of messages a second between two nodes stay well inside `peer`.
 */
export const DEFAULT_RATE_LIMITS: RateLimitSettings = {
  http: { ratePerSecond: 50, burst: 200 },
  peer: { ratePerSecond: 1_000, burst: 5_000 },
  connection: { ratePerSecond: 50, burst: 200 },
  account: { ratePerSecond: 100, burst: 400 },
};

/** Retry-After in whole seconds (at least 1) for a wait in milliseconds. */
export function retryAfterSeconds(waitMs: number): number {
  return Math.max(1, Math.ceil(waitMs / 1000));
}
