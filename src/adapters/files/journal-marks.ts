import { type PartialFileHandle, writeAll } from './direct-part-file.js';

/**
 * The journal's marks of one download, written behind the partial file's writes instead of between them. The
 * download's writer hands over each batch's marks once the batch's bytes are written (`mark`) and goes on with
 * the next batch's bytes at once; marks are written here, in order, those that gathered while one write was
 * in flight in one write. So a mark still never precedes its bytes (it is handed over only after their write
 * returned), marks stay in order (a hole ends what a resume trusts), and the writer no longer waits one more
 * round trip through the thread pool per batch: on a busy machine, where each round trip waits for the event
 * loop and a thread, that wait was as long as the bytes' own (see docs/benchmarks.md, "The relay path").
 */
export class JournalMarks {
  /** Chunks `[#from, #to)` are written and not yet marked. */
  #from = 0;
  #to = 0;
  #running: Promise<void> | undefined;
  #broken = false;

  constructor(
    private readonly journal: PartialFileHandle,
    private readonly headerLength: number,
    /** Told of a failed write; later marks are not written. */
    private readonly failed: (error: unknown) => void,
  ) {}

  /** Marks chunks `[index, index + count)`, whose bytes are written; contiguous with the marks before. */
  mark(index: number, count: number): void {
    if (this.#broken) return;
    if (this.#from === this.#to) this.#from = index;
    this.#to = index + count;
    this.#running ??= this.#writeAll();
  }

  /** Resolves once every mark handed over is written (or a write failed). */
  async settled(): Promise<void> {
    while (this.#running) await this.#running;
  }

  async #writeAll(): Promise<void> {
    try {
      while (this.#from < this.#to) {
        const from = this.#from;
        const count = this.#to - from;
        this.#from = this.#to;
        await writeAll(this.journal, [Buffer.alloc(count, 1)], this.headerLength + from);
      }
    } catch (error) {
      this.#broken = true;
      this.#from = this.#to;
      this.failed(error);
    } finally {
      this.#running = undefined;
    }
  }
}
