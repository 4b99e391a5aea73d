import { randomUUID } from 'node:crypto';
import type { IdGenerator } from '../../application/ports/id-generator.js';

/** The largest value of UUIDv7's 12-bit `rand_a`, used here as a counter within one millisecond. */
const MAX_COUNTER = 0xfff;

/**
 * Time-ordered UUIDs (version 7, RFC 9562): 48 bits of Unix milliseconds, a 12-bit counter that keeps ids of
 * one millisecond in order (method 1 of the RFC), and 62 random bits. Ids that grow keep the indexes they are
 * stored in (the seen ids, history) appending, where random ids dirtied a random page of each per message.
 * `now` is the wall clock; one that goes back does not make ids go back.
 */
export class UuidGenerator implements IdGenerator {
  #ms = 0;
  #counter = 0;
  /** The id's first 15 characters for `#ms`, built once per millisecond. */
  #prefix = '';
  #prefixMs = -1;

  constructor(private readonly now: () => number = Date.now) {}

  next(): string {
    const now = Math.floor(this.now());
    if (now > this.#ms) {
      this.#ms = now;
      // A random start within the lower half leaves room to count up within the millisecond.
      this.#counter = Math.floor(Math.random() * (MAX_COUNTER >> 1));
    } else if (++this.#counter > MAX_COUNTER) {
      this.#ms++;
      this.#counter = 0;
    }
    if (this.#prefixMs !== this.#ms) {
      const time = this.#ms.toString(16).padStart(12, '0');
      this.#prefix = `${time.slice(0, 8)}-${time.slice(8)}-7`;
      this.#prefixMs = this.#ms;
    }
    const random = randomUUID(); // xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx: its variant and last 62 bits are kept
    const counter = this.#counter.toString(16).padStart(3, '0');
    return `${this.#prefix}${counter}-${random.slice(19)}`;
  }
}
