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
  /**
   * Frames the user connections of one client address send together (socket.io `msg` and `older` events, `/ws`
   * frames): one address cannot multiply the `connection` budget by opening many connections.
   */
  readonly address: Budget;
  /** When a user connection that keeps sending over its budget is closed, and for how long its address waits. */
  readonly cutOff: CutOff;
}

/**
 * A connection refused more than `refusals` times within `windowSeconds` ignores `retryAfter`: it is closed, and
 * its client address is refused every HTTP request, socket.io and `/ws` connection for `penaltySeconds`.
 * `refusals` 0 turns the cut-off off.
 */
export interface CutOff {
  readonly refusals: number;
  readonly windowSeconds: number;
  readonly penaltySeconds: number;
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
  // Four connections' worth: 20 tabs behind one NAT sending like people stay far below it, while 256
  // connections from one address get this, not 256 times `connection`.
  address: { ratePerSecond: 200, burst: 800 },
  cutOff: { refusals: 100, windowSeconds: 10, penaltySeconds: 10 },
};

/** Retry-After in whole seconds (at least 1) for a wait in milliseconds. */
export function retryAfterSeconds(waitMs: number): number {
  return Math.max(1, Math.ceil(waitMs / 1000));
}
