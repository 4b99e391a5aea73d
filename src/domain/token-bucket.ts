/** A sustained rate and the burst allowed on top of it. A rate of 0 (or less) means no limit. */
export interface Budget {
  readonly ratePerSecond: number;
  readonly burst: number;
}

/**
 * A token bucket: holds up to `burst` tokens, refills at `ratePerSecond`, and each admitted event takes one.
 * Pure: the caller passes the time (milliseconds on any monotonic-enough clock). A time that goes backwards
 * refills nothing.
 */
export class TokenBucket {
  #tokens: number;
  #at: number;

  constructor(
    readonly budget: Budget,
    now: number,
  ) {
    this.#tokens = budget.burst;
    this.#at = now;
  }

  /** Takes a token at `now`: 0 when it was taken, else the milliseconds until one will be there (at least 1). */
  take(now: number): number {
    const { ratePerSecond, burst } = this.budget;
    if (!(ratePerSecond > 0)) return 0;
    if (now > this.#at) {
      this.#tokens = Math.min(burst, this.#tokens + ((now - this.#at) * ratePerSecond) / 1000);
      this.#at = now;
    }
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil(((1 - this.#tokens) * 1000) / ratePerSecond));
  }

  /** Empties the bucket and puts it `ms` of refill into debt: nothing is admitted for that long after `now`. */
  owe(now: number, ms: number): void {
    const { ratePerSecond, burst } = this.budget;
    if (!(ratePerSecond > 0)) return;
    if (now > this.#at) {
      this.#tokens = Math.min(burst, this.#tokens + ((now - this.#at) * ratePerSecond) / 1000);
      this.#at = now;
    }
    this.#tokens = Math.min(this.#tokens, 0) - (Math.max(0, ms) * ratePerSecond) / 1000;
  }
}
