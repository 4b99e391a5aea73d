import type { Clock } from '../ports/clock.js';

interface Waiter {
  readonly at: number;
  readonly expire: () => void;
}

/**
 * The senders waiting for their messages' first outcomes, each for at most `waitMs`: one timer for all of
 * them rather than one per send. Every wait has the same length, so deadlines come in the order the waits
 * started and an insertion-ordered `Set` is also a deadline queue. A sender answered in time leaves the set at
 * once, so nothing of its wait (no timer, promise or closure) outlives its answer: at 1,000 sends a second the
 * per-send timers had kept about two thousand waits alive for the full two seconds each.
 */
export class AckDeadlines {
  /** A new Set each time a sender's answer empties it, so its tables stay young (see `Courier`'s parcels). */
  #waiting = new Set<Waiter>();
  #armed = false;

  constructor(
    private readonly clock: Clock,
    private readonly waitMs: number,
  ) {}

  /** How many waits are open (for tests). */
  get size(): number {
    return this.#waiting.size;
  }

  /** Calls `expire` once `waitMs` have passed, unless the returned `stop` is called first. */
  start(expire: () => void): () => void {
    const waiter: Waiter = { at: this.clock.now() + this.waitMs, expire };
    this.#waiting.add(waiter);
    this.#arm();
    return () => {
      if (this.#waiting.delete(waiter) && this.#waiting.size === 0) this.#waiting = new Set();
    };
  }

  /** Sleeps until the oldest open wait's deadline, ends every wait that is due, and sleeps again if any remain. */
  #arm(): void {
    if (this.#armed) return;
    const head = this.#waiting.values().next().value;
    if (head === undefined) return;
    this.#armed = true;
    // Never longer than one wait: `now` is the wall clock, and one set back must not hold senders beyond it.
    void this.clock.sleep(Math.min(this.waitMs, Math.max(0, head.at - this.clock.now()))).then(() => {
      this.#armed = false;
      const now = this.clock.now();
      for (const waiter of this.#waiting) {
        // A deadline more than one wait ahead means the clock was set back since it began: it is due too.
        if (waiter.at > now && waiter.at - now <= this.waitMs) break;
        this.#waiting.delete(waiter);
        waiter.expire();
      }
      if (this.#waiting.size === 0) this.#waiting = new Set();
      this.#arm();
    });
  }
}
