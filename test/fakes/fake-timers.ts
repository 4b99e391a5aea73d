import type { TimerHandle, Timers } from '../../src/client/index.js';

/** The client core's timers on a clock that moves only when the test says so; due callbacks run in time order. */
export class FakeTimers implements Timers {
  #now = 0;
  #next = 0;
  readonly #due = new Map<number, { at: number; callback: () => void }>();

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const id = ++this.#next;
    this.#due.set(id, { at: this.#now + Math.max(0, ms), callback });
    return id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.#due.delete(handle as number);
  }

  /** Delays of the timers now pending, from now, in the order they were set. */
  pending(): number[] {
    return [...this.#due.values()].map((t) => t.at - this.#now);
  }

  /** Moves time forward by `ms`, running every timer that falls due (also ones set by those it runs). */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      const next = [...this.#due.entries()]
        .filter(([, t]) => t.at <= end)
        .sort((a, b) => a[1].at - b[1].at)[0];
      if (!next) break;
      this.#due.delete(next[0]);
      this.#now = next[1].at;
      next[1].callback();
    }
    this.#now = end;
  }
}
