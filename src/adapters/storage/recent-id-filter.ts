/** Bits per id of each generation: with `PROBES` probes, about 1 % of absent ids look present. */
const BITS_PER_ID = 10;
const PROBES = 7;
/** The smallest generation, in bits (a power of two). */
const MIN_BITS = 1 << 10;
/** The largest generation, in bits: 16 MiB of memory per generation at most, whatever the capacity. */
const MAX_BITS = 1 << 27;

/** One Bloom filter over a power-of-two number of bits. */
class Generation {
  readonly words: Uint32Array;
  readonly mask: number;
  added = 0;

  constructor(bits: number) {
    this.words = new Uint32Array(bits >>> 5);
    this.mask = bits - 1;
  }

  add(h1: number, h2: number): void {
    const { words, mask } = this;
    for (let i = 0, h = h1; i < PROBES; i++, h = (h + h2) | 0) {
      const bit = h & mask;
      words[bit >>> 5] = (words[bit >>> 5] as number) | (1 << (bit & 31));
    }
    this.added++;
  }

  has(h1: number, h2: number): boolean {
    const { words, mask } = this;
    for (let i = 0, h = h1; i < PROBES; i++, h = (h + h2) | 0) {
      const bit = h & mask;
      if (((words[bit >>> 5] as number) & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }
}

/**
 * Which ids a capped table may hold, without asking it: `mightHave` is false only for an id that is certainly
 * not there, so a lookup that would miss (the usual case: a new message's id) costs no SQL statement.
 *
 * It is exact in that direction for a table that keeps at most `capacity` rows and drops the oldest first
 * (history, seen ids), provided every row the table gains is `add`ed once it is written: a row still in the
 * table is one of the last `capacity` added, and two Bloom generations of `capacity` additions each (the
 * current one, and the one before it) always cover those. Ids the table dropped may still look present (and so
 * may about 1 % of the others): those are answered by the table, as before. Memory is bounded: two bit arrays of
 * `10 * capacity` bits rounded up to a power of two each (4 MiB in all for a million ids), at most 16 MiB each
 * (a larger capacity only sees more false positives).
 */
export class RecentIdFilter {
  readonly #capacity: number;
  readonly #bits: number;
  #current: Generation;
  #previous: Generation | undefined;

  constructor(capacity: number) {
    this.#capacity = Math.max(1, Math.floor(capacity));
    let bits = MIN_BITS;
    while (bits < this.#capacity * BITS_PER_ID && bits < MAX_BITS) bits *= 2;
    this.#bits = bits;
    this.#current = new Generation(bits);
  }

  /** Records an id the table has just gained. */
  add(id: string): void {
    if (this.#current.added >= this.#capacity) {
      this.#previous = this.#current;
      this.#current = new Generation(this.#bits);
    }
    const h1 = hash(id, 0x811c9dc5);
    this.#current.add(h1, hash(id, h1 ^ 0x5bd1e995) | 1);
  }

  /** False: the table certainly does not hold `id`. True: it may. */
  mightHave(id: string): boolean {
    const h1 = hash(id, 0x811c9dc5);
    const h2 = hash(id, h1 ^ 0x5bd1e995) | 1;
    return this.#current.has(h1, h2) || (this.#previous?.has(h1, h2) ?? false);
  }
}

/** FNV-1a over the string's UTF-16 code units from `seed`, with a final avalanche (murmur3's fmix32). */
function hash(text: string, seed: number): number {
  let h = seed | 0;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}
