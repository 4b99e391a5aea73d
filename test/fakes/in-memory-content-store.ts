import { boundedUpload } from '../../src/adapters/files/bounded-upload.js';
import { ChunkHasher } from '../../src/adapters/files/chunk-hasher.js';
import { StorageFull } from '../../src/application/files/file-errors.js';
import type {
  ByteRange,
  ContentStore,
  StagedContent,
} from '../../src/application/ports/files/content-store.js';

/**
 * `ContentStore` in memory, for tests of the use cases and the HTTP app. `capacity` bytes in all (staged and
 * stored) stand for a disk: past it, `stage` fails with `StorageFull` like a full disk, keeping nothing.
 * `staging` counts uploads in flight, so a test can see that none is left behind.
 */
export class InMemoryContentStore implements ContentStore {
  readonly stored = new Map<string, Buffer>();
  staging = 0;
  closed = false;

  constructor(private readonly options: { readonly capacity?: number; readonly chunkSize?: number } = {}) {}

  get bytesStored(): number {
    return [...this.stored.values()].reduce((sum, b) => sum + b.length, 0);
  }

  async stage(
    source: AsyncIterable<Uint8Array>,
    limits: { readonly maxBytes: number },
  ): Promise<StagedContent> {
    const hasher = new ChunkHasher(this.options.chunkSize);
    const pieces: Buffer[] = [];
    this.staging += 1;
    let settled = false;
    const release = () => {
      if (!settled) this.staging -= 1;
      settled = true;
    };
    try {
      for await (const piece of boundedUpload(source, limits.maxBytes)) {
        if (
          this.bytesStored + hasher.size + piece.length >
          (this.options.capacity ?? Number.POSITIVE_INFINITY)
        )
          throw new StorageFull();
        hasher.update(piece);
        pieces.push(Buffer.from(piece));
      }
    } catch (error) {
      release();
      throw error;
    }
    const digest = hasher.digest();
    const bytes = Buffer.concat(pieces);
    return {
      ...digest,
      commit: async () => {
        if (settled) return;
        if (!this.stored.has(digest.id)) this.stored.set(digest.id, bytes);
        release();
      },
      discard: async () => release(),
    };
  }

  async open(id: string, range?: ByteRange): Promise<AsyncIterable<Uint8Array> | undefined> {
    const bytes = this.stored.get(id);
    if (!bytes) return undefined;
    const slice = range ? bytes.subarray(range.start, range.end + 1) : bytes;
    return (async function* () {
      yield slice;
    })();
  }

  async has(id: string): Promise<boolean> {
    return this.stored.has(id);
  }

  async size(id: string): Promise<number | undefined> {
    return this.stored.get(id)?.length;
  }

  async remove(id: string): Promise<void> {
    this.stored.delete(id);
  }

  async list(): Promise<string[]> {
    return [...this.stored.keys()];
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
