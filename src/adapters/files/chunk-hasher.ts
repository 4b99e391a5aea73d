import { createHash, type Hash } from 'node:crypto';
import type { ContentDigest } from '../../application/ports/files/content-store.js';
import { FILE_CHUNK_SIZE } from '../../domain/file-record.js';

/**
 * SHA-256 of a stream of bytes as a whole and per `chunkSize` piece, fed in pieces of any size: the id and the
 * chunk list of a file record. Holds no bytes, only the two running hashes.
 */
export class ChunkHasher {
  readonly #whole = createHash('sha256');
  readonly #chunks: string[] = [];
  #chunk: Hash = createHash('sha256');
  #filled = 0;
  #size = 0;

  constructor(readonly chunkSize: number = FILE_CHUNK_SIZE) {}

  get size(): number {
    return this.#size;
  }

  update(bytes: Uint8Array): void {
    this.#whole.update(bytes);
    this.#size += bytes.length;
    let offset = 0;
    while (offset < bytes.length) {
      const take = Math.min(this.chunkSize - this.#filled, bytes.length - offset);
      this.#chunk.update(bytes.subarray(offset, offset + take));
      this.#filled += take;
      offset += take;
      if (this.#filled === this.chunkSize) {
        this.#chunks.push(this.#chunk.digest('hex'));
        this.#chunk = createHash('sha256');
        this.#filled = 0;
      }
    }
  }

  /** Ends the hashing; the hasher is not to be fed again. */
  digest(): ContentDigest {
    if (this.#filled > 0) this.#chunks.push(this.#chunk.digest('hex'));
    this.#filled = 0;
    return {
      id: this.#whole.digest('hex'),
      size: this.#size,
      chunkSize: this.chunkSize,
      chunks: this.#chunks,
    };
  }
}
