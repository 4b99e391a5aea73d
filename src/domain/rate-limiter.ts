import { type Budget, TokenBucket } from './token-bucket.js';

/** Keys tracked at once when not told otherwise. */
export const DEFAULT_MAX_KEYS = 10_000;

/**
 * One token bucket per key (a client address, an account), all with the same budget. Memory is bounded: past
 * `maxKeys` the least recently seen key is forgotten, which at worst gives that key a full bucket again.
 */
export class RateLimiter {
  readonly #buckets = new Map<string, TokenBucket>();
  /** The key last inserted (the Map's last): taken again, it stays where it is. */
  #newest: string | undefined;

  constructor(
    readonly budget: Budget,
    private readonly maxKeys = DEFAULT_MAX_KEYS,
  ) {}

  /** Takes a token for `key` at `now`: 0 when admitted, else the milliseconds to wait. */
  take(key: string, now: number): number {
    if (!(this.budget.ratePerSecond > 0)) return 0;
    let bucket = this.#buckets.get(key);
    // Already the most recent: no delete and re-insert, whose churn makes the Map rehash its table (in V8's old
    // space, for a long-lived limiter) every few calls; one busy client is the usual case.
    if (bucket && key === this.#newest) return bucket.take(now);
    this.#newest = key;
    if (bucket) this.#buckets.delete(key);
    else {
      bucket = new TokenBucket(this.budget, now);
      if (this.#buckets.size >= this.maxKeys) {
        const oldest = this.#buckets.keys().next().value;
        if (oldest !== undefined) this.#buckets.delete(oldest);
      }
    }
    // Re-inserted last, so the Map's order is the order of last use.
    this.#buckets.set(key, bucket);
    return bucket.take(now);
  }

  /** Refuses `key` anything for `ms` from `now` (a client cut off for flooding), whatever its bucket held. */
  penalize(key: string, now: number, ms: number): void {
    if (!(this.budget.ratePerSecond > 0)) return;
    this.take(key, now);
    this.#buckets.get(key)?.owe(now, ms);
  }

  get size(): number {
    return this.#buckets.size;
  }
}
