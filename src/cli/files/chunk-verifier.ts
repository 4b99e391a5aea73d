// Checks a file's bytes against its record as they come: each chunk against its SHA-256, the whole against the id.

import { createHash } from 'node:crypto';

/** What a download is checked against: the fields of a file record that describe its bytes. */
export interface ExpectedContent {
  readonly id: string;
  readonly size: number;
  readonly chunkSize: number;
  readonly chunks: readonly string[];
}

/** A chunk whose bytes do not hash to the record's (or bytes past the end of the file). */
export class ChunkMismatch extends Error {
  override name = 'ChunkMismatch';
  constructor(readonly index: number) {
    super(`chunk ${index + 1} failed its SHA-256 check`);
  }
}

/**
 * Takes bytes in any pieces and hands back whole chunks once each has matched its hash, so what a caller
 * writes is only ever verified bytes. Holds at most one chunk. After a mismatch the unverified bytes are
 * dropped and `verified` still says where the good bytes end, so a caller can go on from there.
 */
export class ChunkVerifier {
  readonly #whole = createHash('sha256');
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #verified = 0;

  constructor(readonly expected: ExpectedContent) {}

  /** Bytes from the start of the file that have matched their chunk hashes. */
  get verified(): number {
    return this.#verified;
  }

  #chunkLength(index: number): number {
    return Math.min(this.expected.chunkSize, this.expected.size - index * this.expected.chunkSize);
  }

  /** Adds bytes; returns the chunks they completed, each verified. Throws `ChunkMismatch` on a bad one. */
  push(bytes: Uint8Array): Buffer[] {
    const done: Buffer[] = [];
    let offset = 0;
    while (offset < bytes.length) {
      if (this.#verified >= this.expected.size) throw this.#mismatch(this.expected.chunks.length);
      const index = this.#verified / this.expected.chunkSize;
      const take = Math.min(this.#chunkLength(index) - this.#pendingBytes, bytes.length - offset);
      this.#pending.push(Buffer.from(bytes.subarray(offset, offset + take)));
      this.#pendingBytes += take;
      offset += take;
      if (this.#pendingBytes === this.#chunkLength(index)) {
        const chunk = Buffer.concat(this.#pending);
        if (createHash('sha256').update(chunk).digest('hex') !== this.expected.chunks[index])
          throw this.#mismatch(index);
        this.#whole.update(chunk);
        this.#verified += chunk.length;
        this.#pending = [];
        this.#pendingBytes = 0;
        done.push(chunk);
      }
    }
    return done;
  }

  #mismatch(index: number): ChunkMismatch {
    this.dropUnverified();
    return new ChunkMismatch(index);
  }

  /** Forgets bytes of a chunk not yet complete, so the next bytes pushed are read from `verified` on. */
  dropUnverified(): void {
    this.#pending = [];
    this.#pendingBytes = 0;
  }

  /** True when every byte arrived, verified, and the whole hashes to the id. Call once, at the end. */
  complete(): boolean {
    return this.#verified === this.expected.size && this.#whole.digest('hex') === this.expected.id;
  }
}
