import type { Hash } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import { ChunkMismatch } from '../../application/files/file-errors.js';
import type { PartialDownload } from '../../application/ports/files/partial-downloads.js';
import type { FileRecord } from '../../domain/file-record.js';
import { type PartialFileHandle, writeAll } from './direct-part-file.js';
import { type DiskContentStore, storageError } from './disk-content-store.js';
import { releaseWhenSent } from './piece-release.js';

export type { PartialFileHandle };

/**
 * Verified chunks one download keeps in memory at most: those waiting to be written (`append` waits when they
 * fill it: backpressure on the source) and the latest written ones, which readers get without touching the
 * disk. With 1 MiB chunks, 8 MiB per transfer.
 */
export const HELD_CHUNKS = 8;
/** Chunks written in one `writev` at most. */
const WRITE_BATCH = 4;
/**
 * Written chunks after which the partial file is synced, alongside the next writes (not waited for): the
 * sync before the download moves into the store then has little left to flush.
 */
const SYNC_EVERY_CHUNKS = 32;
/**
 * Longest the source waits, with nothing else happening, for a reader to take a chunk held for it
 * (`JournaledDownload`, "readers pace the source"); past it, readers no longer pace this download.
 */
export const READER_WAIT_MS = 2000;
/** Bytes read from the disk at once, for readers behind what is held in memory. */
const READ_PIECE = 1024 * 1024;

export interface DownloadPlace {
  readonly record: FileRecord;
  readonly part: string;
  readonly journalPath: string;
  readonly headerLength: number;
  readonly store: DiskContentStore;
}

export interface DownloadState {
  readonly file: PartialFileHandle;
  readonly journal: PartialFileHandle;
  readonly whole: Hash;
  readonly verified: number;
  readonly chunkDigest: (pieces: readonly Uint8Array[]) => string;
  /** `READER_WAIT_MS` unless given (a test shortens or lengthens it). */
  readonly readerWaitMs?: number;
  /** Releases the heap growth held while the download is open (`heap-growth.ts`); called once it closes. */
  readonly releaseHeapGrowth?: () => void;
}

/** A verified chunk in memory: being written, or written and kept for readers. */
interface HeldChunk {
  readonly index: number;
  readonly start: number;
  readonly bytes: Buffer;
  written: boolean;
  /** Pieces of it handed to readers whose sender has not yet said they left the process (`piece-release`). */
  out: number;
  /** No longer held: its buffer may serve a later chunk once `out` is 0. */
  gone: boolean;
}

/**
 * One download of `JournaledPartialDownloads`. Bytes stream into one buffer per chunk (a copy, so a source
 * that sends tiny pieces costs no more memory than one chunk); a complete chunk is checked against its hash,
 * added to the whole-content hash (each byte is hashed twice: once for its chunk, once for the whole), and
 * queued for the disk. A writer writes queued chunks in order, several per `writev`, then their journal marks
 * in one write, while the next bytes arrive; so a mark never precedes its bytes, and a killed process resumes
 * from the last chunk written and journaled. Readers get verified chunks still held in memory from there, and
 * older ones from the partial file (or from the store once the download is finished).
 */
export class JournaledDownload implements PartialDownload {
  #verified: number;
  /** The chunk being received (not verified), and how much of it has arrived. */
  #chunk: Buffer | undefined;
  /**
   * Buffers of chunks that left memory with every piece of them sent (or never handed out), for the next chunks:
   * a 1 MiB allocation per chunk is external memory V8 answers with full collections (at the fetching node,
   * about as much CPU on V8's helper threads as the main thread spent hashing).
   */
  #spare: Buffer[] = [];
  #filled = 0;
  /** Verified chunks in memory, in order, contiguous, ending at `#verified`; unwritten ones are the last. */
  #held: HeldChunk[] = [];
  /** Where each `read` in progress is (the next byte its consumer asks for). */
  readonly #readers = new Set<{ position: number }>();
  /** Readers no longer pace the source: two read at once, or one kept it waiting `READER_WAIT_MS`. */
  #unpaced = false;
  #writing = false;
  /** Why the writer stopped, when a write failed; every later `append`, `written` and `finish` fails with it. */
  #failure: unknown;
  /** Woken when the writer makes progress or stops. */
  #waiters: (() => void)[] = [];
  #stopping = false;
  /** The sync in flight (`SYNC_EVERY_CHUNKS`), and how many chunks were written since the last one began. */
  #synced: Promise<void> = Promise.resolve();
  #syncing = false;
  #unsynced = 0;
  #finished = false;
  #closed = false;

  constructor(
    private readonly place: DownloadPlace,
    private readonly state: DownloadState,
  ) {
    this.#verified = state.verified;
  }

  get verified(): number {
    return this.#verified;
  }

  /**
   * Synchronous while there is room: the piece is copied into the chunk being received and each chunk it
   * completes is checked, hashed and queued for the writer, all before this returns `undefined` (no promise,
   * no await per piece). A promise only when the caller must wait (more than `HELD_CHUNKS` held: it resolves
   * once the writer made room and the rest of the piece is taken) or for a failure (it rejects).
   */
  append(piece: Uint8Array): Promise<void> | undefined {
    if (this.#failure !== undefined) return this.#rejectFailed();
    const { record } = this.place;
    let offset = 0;
    while (offset < piece.length) {
      const length = Math.min(record.size, this.#verified + record.chunkSize) - this.#verified;
      if (length <= 0)
        return Promise.reject(new ChunkMismatch(Math.floor(this.#verified / record.chunkSize)));
      this.#chunk ??= (length === record.chunkSize && this.#spare.pop()) || Buffer.allocUnsafe(length);
      const take = Math.min(length - this.#filled, piece.length - offset);
      this.#chunk.set(piece.subarray(offset, offset + take), this.#filled);
      this.#filled += take;
      offset += take;
      if (this.#filled < length) continue;
      const mismatch = this.#complete();
      if (mismatch !== undefined) return Promise.reject(mismatch);
      // Backpressure: the source is read on only once the disk has taken enough of what is held.
      if (this.#held.length > HELD_CHUNKS || this.#failure !== undefined) {
        const rest = piece.subarray(offset);
        return this.#room().then(() => (rest.length > 0 ? this.append(rest) : undefined));
      }
    }
    return undefined;
  }

  /** Checks the chunk just received, adds it to the whole hash and queues it; the mismatch when it fails. */
  #complete(): ChunkMismatch | undefined {
    const { record } = this.place;
    const bytes = this.#chunk as Buffer;
    this.#chunk = undefined;
    this.#filled = 0;
    const index = Math.floor(this.#verified / record.chunkSize);
    if (this.state.chunkDigest([bytes]) !== record.chunks[index]) return new ChunkMismatch(index);
    this.state.whole.update(bytes);
    this.#held.push({ index, start: this.#verified, bytes, written: false, out: 0, gone: false });
    this.#verified += bytes.length;
    this.#evict();
    this.#write();
    return undefined;
  }

  /** Resolves once at most `HELD_CHUNKS` are held (the writer caught up); rejects when the writer failed. */
  async #room(): Promise<void> {
    for (;;) {
      this.#evict();
      if (this.#held.length <= HELD_CHUNKS || this.#failure !== undefined || this.#stopping) break;
      if (!this.#held[0]?.written) await this.#progress();
      // Written, and kept for a reader still sending it: wait for that reader, but only so long.
      else if (!(await this.#progressWithin(this.state.readerWaitMs ?? READER_WAIT_MS))) {
        this.#unpaced = true;
        this.#evict();
      }
    }
    if (this.#failure !== undefined) throw await this.#failed();
  }

  async #rejectFailed(): Promise<never> {
    throw await this.#failed();
  }

  /** Lets go of the oldest written chunks beyond `HELD_CHUNKS`, unless a pacing reader is on them. */
  #evict(): void {
    let drop = 0;
    for (;;) {
      const chunk = this.#held[drop];
      if (this.#held.length - drop <= HELD_CHUNKS || !chunk?.written || this.#reading(chunk)) break;
      drop++;
    }
    if (drop === 0) return;
    for (const chunk of this.#held.slice(0, drop)) {
      chunk.gone = true;
      this.#reuse(chunk);
    }
    this.#held = this.#held.slice(drop);
  }

  /** Keeps a chunk's buffer for the next chunks once nothing refers to it: written, let go, every piece sent. */
  #reuse(chunk: HeldChunk): void {
    if (!chunk.gone || chunk.out > 0 || !chunk.written || this.#finished) return;
    if (chunk.bytes.length === this.place.record.chunkSize && this.#spare.length < HELD_CHUNKS)
      this.#spare.push(chunk.bytes);
  }

  /** Whether a reader that paces the source has yet to take (part of) `chunk`. */
  #reading(chunk: HeldChunk): boolean {
    if (this.#unpaced) return false;
    for (const reader of this.#readers)
      if (reader.position >= chunk.start && reader.position < chunk.start + chunk.bytes.length) return true;
    return false;
  }

  /** Like `#progress`, but `false` when nothing happened for `ms`. */
  #progressWithin(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((waiter) => waiter !== wake);
        resolve(false);
      }, ms);
      this.#waiters.push(wake);
    });
  }

  #progress(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /** Starts the writer unless it runs (or failed). */
  #write(): void {
    if (this.#writing || this.#failure !== undefined) return;
    this.#writing = true;
    void this.#writeQueued();
  }

  /** Writes queued chunks until none is left (or a write fails, or the download is being discarded). */
  async #writeQueued(): Promise<void> {
    for (;;) {
      const first = this.#held.findIndex((chunk) => !chunk.written);
      if (first < 0 || this.#stopping) break;
      const batch = this.#held.slice(first, first + WRITE_BATCH);
      const head = batch[0] as HeldChunk;
      try {
        await writeAll(
          this.state.file,
          batch.map((chunk) => chunk.bytes),
          head.start,
        );
        await writeAll(
          this.state.journal,
          [Buffer.alloc(batch.length, 1)],
          this.place.headerLength + head.index,
        );
      } catch (error) {
        this.#failure = error;
        break;
      }
      for (const chunk of batch) chunk.written = true;
      this.#unsynced += batch.length;
      if (this.#unsynced >= SYNC_EVERY_CHUNKS && !this.#syncing) this.#syncSoon();
      this.#evict();
      this.#wake();
    }
    this.#writing = false;
    this.#wake();
  }

  /** Starts a sync of the partial file without waiting for it; a failure is the writer's. */
  #syncSoon(): void {
    this.#unsynced = 0;
    this.#syncing = true;
    this.#synced = this.state.file.sync().then(
      () => {
        this.#syncing = false;
      },
      (error: unknown) => {
        this.#syncing = false;
        this.#failure ??= error;
        this.#wake();
      },
    );
  }

  /** The writer's failure as the use cases name it; a full disk first removes the download. */
  async #failed(): Promise<unknown> {
    const error = this.#failure;
    if (isFullDisk(error)) await this.discard();
    return storageError(error);
  }

  async written(): Promise<void> {
    while (this.#writing) await this.#progress();
    if (this.#failure !== undefined) throw await this.#failed();
  }

  dropUnverified(): void {
    this.#chunk = undefined;
    this.#filled = 0;
  }

  /**
   * Readers pace the source: a written chunk a reader has yet to send stays held (not evicted), so when the
   * reader is slower than the source, `append` waits for it (held chunks stay within the same bound) rather
   * than letting it fall behind to read the partial file back (on this node's VM that read was the fetching
   * node's largest cost after hashing: a disk read into fresh page-cache pages, then a copy). So that a slow
   * client cannot slow a transfer others share, or stall it, readers stop pacing this download for good once
   * two read at once, or once one kept the source waiting `READER_WAIT_MS` with nothing else happening; they
   * then fall behind to the disk as before.
   */
  async *read(start: number, end: number): AsyncIterable<Uint8Array> {
    if (end >= this.#verified) throw new Error(`Bytes past ${this.#verified - 1} are not verified yet`);
    const reader = { position: start };
    if (this.#readers.size > 0) this.#unpaced = true;
    this.#readers.add(reader);
    try {
      for (let position = start; position <= end; ) {
        const held = this.#held;
        const chunk = held.find((c) => c.start <= position && position < c.start + c.bytes.length);
        if (chunk) {
          const stop = Math.min(end + 1, chunk.start + chunk.bytes.length);
          const piece = chunk.bytes.subarray(position - chunk.start, stop - chunk.start);
          chunk.out++;
          releaseWhenSent(piece, () => {
            chunk.out--;
            this.#reuse(chunk);
          });
          yield piece;
          position = stop;
          reader.position = stop;
          this.#taken();
          continue;
        }
        // Before what is held, every verified byte is written (chunks leave memory only once written).
        const last = Math.min(end, (held[0]?.start ?? end + 1) - 1);
        yield* this.#readDisk(position, last);
        position = last + 1;
        reader.position = position;
      }
    } finally {
      this.#readers.delete(reader);
      this.#taken();
    }
  }

  /** A reader moved on (or ended): what it held may go, and a source waiting for room is told. */
  #taken(): void {
    if (this.#held.length <= HELD_CHUNKS || this.#waiters.length === 0) return;
    this.#evict();
    this.#wake();
  }

  async *#readDisk(start: number, end: number): AsyncIterable<Uint8Array> {
    const stored = this.place.store.pathOf(this.place.record.id);
    try {
      yield* readRange(this.#finished ? stored : this.place.part, start, end);
    } catch (error) {
      // Moved into the store between the check and the open: read it there.
      if (
        (error as NodeJS.ErrnoException).code !== 'ENOENT' ||
        !(await this.place.store.has(this.place.record.id))
      )
        throw error;
      yield* readRange(stored, start, end);
    }
  }

  async finish(): Promise<void> {
    const { record, part, journalPath, store } = this.place;
    if (this.#verified !== record.size)
      throw new Error('A download is finished only once every byte is verified');
    await this.written();
    if (this.state.whole.digest('hex') !== record.id) {
      await this.discard();
      throw new ChunkMismatch(-1);
    }
    try {
      await this.#synced;
      if (this.#failure !== undefined) throw this.#failure;
      // A direct write pads the last block past the end (`DirectPartFile`), now or in a killed process
      // before this one resumed: the file is cut to its size before it is synced and moved.
      await this.state.file.truncate?.(record.size);
      await this.state.file.sync();
      await this.#close();
      await store.adopt(part, record.id);
      this.#finished = true;
      this.#held = [];
      this.#spare = [];
      await rm(journalPath, { force: true });
    } catch (error) {
      await this.discard();
      throw storageError(error);
    }
  }

  async discard(): Promise<void> {
    this.#stopping = true;
    while (this.#writing) await this.#progress();
    await this.#close();
    await rm(this.place.journalPath, { force: true }).catch(() => {});
    if (!this.#finished) await rm(this.place.part, { force: true }).catch(() => {});
  }

  async release(): Promise<void> {
    // Verified chunks still queued are written first: the next transfer resumes after them.
    while (this.#writing) await this.#progress();
    await this.#close();
  }

  async #close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.state.releaseHeapGrowth?.();
    await this.#synced;
    await this.state.file.close().catch(() => {});
    await this.state.journal.close().catch(() => {});
  }
}

/** Bytes `start` to `end` (both included) of the file at `path`, in pieces of at most `READ_PIECE`. */
export async function* readRange(path: string, start: number, end: number): AsyncIterable<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    for (let position = start; position <= end; ) {
      const buffer = Buffer.allocUnsafe(Math.min(READ_PIECE, end - position + 1));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
      if (bytesRead === 0) throw new Error(`${path} ended at ${position}, before ${end + 1}`);
      position += bytesRead;
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}

export function isFullDisk(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}
