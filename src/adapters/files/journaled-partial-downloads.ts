import { createHash, type Hash } from 'node:crypto';
import { mkdir, open, readdir, rm, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { ChunkMismatch, StorageFull } from '../../application/files/file-errors.js';
import type { PartialDownload, PartialDownloads } from '../../application/ports/files/partial-downloads.js';
import type { FileRecord } from '../../domain/file-record.js';
import { type DiskContentStore, storageError } from './disk-content-store.js';

/** The part of a file handle a partial download uses (a test passes one that fails like a full disk). */
export interface PartialFileHandle {
  write(
    bytes: Uint8Array,
    offset: number,
    length: number,
    position: number,
  ): Promise<{ readonly bytesWritten: number }>;
  /** Like `FileHandle.writev`: several buffers at `position` in one call; may write fewer bytes than given. */
  writev(buffers: Uint8Array[], position: number): Promise<{ readonly bytesWritten: number }>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

export interface JournaledPartialDownloadsOptions {
  /** Opens the partial file for writing (created when missing); `fs.promises.open(path, 'a+')`'s cousin by default. */
  readonly openFile?: (path: string) => Promise<PartialFileHandle>;
  /** Bytes free for this process in `dir`; `statfs` by default. */
  readonly freeBytes?: (dir: string) => Promise<number>;
  /** SHA-256 of one chunk, as lower-case hex (a test counts the calls). */
  readonly chunkDigest?: (pieces: readonly Uint8Array[]) => string;
}

/** Room kept free beyond what a download still needs, for the journal and the rest of the node. */
export const FREE_SPACE_MARGIN = 16 * 1024 * 1024;
const READ_PIECE = 256 * 1024;
const JOURNAL_MAGIC = 'meshchat-partial 1';

/**
 * `PartialDownloads` in `<store root>/partial/`: `<id>.part` holds the bytes at their place in the file, and
 * `<id>.journal` a header (`meshchat-partial 1 <size> <chunkSize>`, one line) then one byte per chunk verified,
 * appended only after the chunk's bytes were written. A download opened again trusts the journal: its chunks
 * are not checked again (bytes past them in `.part` are overwritten). The whole-content SHA-256 needs every
 * byte in order, so a download resumed by a new process reads its verified part once to continue that hash
 * (reading, not checking chunks). Nothing is synced per chunk: a killed process loses nothing the kernel holds;
 * after a crash of the machine, a journal ahead of its bytes is caught by the whole-content check, which
 * discards the download (it starts over). A complete file is synced, checked against its id and renamed into
 * the store, so a corrupt or partial file never appears under a content address.
 */
export class JournaledPartialDownloads implements PartialDownloads {
  readonly dir: string;
  readonly #openFile: (path: string) => Promise<PartialFileHandle>;
  readonly #freeBytes: (dir: string) => Promise<number>;
  readonly #chunkDigest: (pieces: readonly Uint8Array[]) => string;

  constructor(
    readonly store: DiskContentStore,
    options: JournaledPartialDownloadsOptions = {},
  ) {
    this.dir = join(store.root, 'partial');
    this.#openFile = options.openFile ?? openForWriting;
    this.#freeBytes = options.freeBytes ?? freeBytesIn;
    this.#chunkDigest = options.chunkDigest ?? sha256Hex;
  }

  async open(record: FileRecord): Promise<PartialDownload> {
    const id = record.id;
    const part = join(this.dir, `${id}.part`);
    const journalPath = join(this.dir, `${id}.journal`);
    const header = `${JOURNAL_MAGIC} ${record.size} ${record.chunkSize}\n`;
    let file: PartialFileHandle | undefined;
    let journal: PartialFileHandle | undefined;
    try {
      await mkdir(this.dir, { recursive: true });
      let chunks = await journaledChunks(journalPath, header, record.chunks.length);
      if (chunks === undefined) {
        await rm(journalPath, { force: true });
        await rm(part, { force: true });
        chunks = 0;
      }
      const verified = Math.min(record.size, chunks * record.chunkSize);
      if ((await this.#freeBytes(this.dir)) < record.size - verified + FREE_SPACE_MARGIN)
        throw new StorageFull();
      file = await this.#openFile(part);
      journal = await this.#openFile(journalPath);
      if (chunks === 0) await journal.write(Buffer.from(header), 0, header.length, 0);
      const whole = createHash('sha256');
      if (verified > 0) for await (const piece of readRange(part, 0, verified - 1)) whole.update(piece);
      return new JournaledDownload(
        { record, part, journalPath, headerLength: header.length, store: this.store },
        { file, journal, whole, verified, chunkDigest: this.#chunkDigest },
      );
    } catch (error) {
      await file?.close().catch(() => {});
      await journal?.close().catch(() => {});
      if (error instanceof StorageFull || isFullDisk(error)) {
        await rm(journalPath, { force: true });
        await rm(part, { force: true });
      }
      throw storageError(error);
    }
  }

  async sweep(maxAgeMs: number, active: ReadonlySet<string>): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return 0;
    }
    const now = Date.now();
    let removed = 0;
    for (const name of names) {
      const id = name.replace(/\.(part|journal)$/, '');
      if (active.has(id)) continue;
      const path = join(this.dir, name);
      const info = await stat(path).catch(() => undefined);
      if (info && now - info.mtimeMs > maxAgeMs) {
        await rm(path, { force: true });
        removed++;
      }
    }
    return removed;
  }
}

interface DownloadPlace {
  readonly record: FileRecord;
  readonly part: string;
  readonly journalPath: string;
  readonly headerLength: number;
  readonly store: DiskContentStore;
}

interface DownloadState {
  readonly file: PartialFileHandle;
  readonly journal: PartialFileHandle;
  readonly whole: Hash;
  readonly verified: number;
  readonly chunkDigest: (pieces: readonly Uint8Array[]) => string;
}

class JournaledDownload implements PartialDownload {
  #verified: number;
  /** The bytes of the chunk being received, not yet verified (references to the pieces, no copy). */
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
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

  async append(piece: Uint8Array): Promise<void> {
    const { record } = this.place;
    let offset = 0;
    while (offset < piece.length) {
      const chunkEnd = Math.min(record.size, this.#verified + record.chunkSize);
      const need = chunkEnd - this.#verified - this.#pendingBytes;
      if (need <= 0) throw new ChunkMismatch(Math.floor(this.#verified / record.chunkSize));
      const take = Math.min(need, piece.length - offset);
      this.#pending.push(piece.subarray(offset, offset + take));
      this.#pendingBytes += take;
      offset += take;
      if (this.#verified + this.#pendingBytes === chunkEnd) await this.#complete();
    }
  }

  async #complete(): Promise<void> {
    const { record } = this.place;
    const index = Math.floor(this.#verified / record.chunkSize);
    const pieces = this.#pending;
    this.#pending = [];
    const length = this.#pendingBytes;
    this.#pendingBytes = 0;
    if (this.state.chunkDigest(pieces) !== record.chunks[index]) throw new ChunkMismatch(index);
    try {
      await this.#writeChunk(pieces, length);
      for (const piece of pieces) this.state.whole.update(piece);
      const mark = Buffer.of(1);
      await this.state.journal.write(mark, 0, 1, this.place.headerLength + index);
    } catch (error) {
      if (isFullDisk(error)) await this.discard();
      throw storageError(error);
    }
    this.#verified += length;
  }

  /** The chunk in one `writev` (one system call when the disk takes it all), the rest piece by piece. */
  async #writeChunk(pieces: Uint8Array[], length: number): Promise<void> {
    const start = this.#verified;
    const done = (await this.state.file.writev(pieces, start)).bytesWritten;
    if (done >= length) return;
    let offset = 0;
    for (const piece of pieces) {
      const end = offset + piece.length;
      for (let written = Math.max(0, done - offset); written < piece.length; ) {
        written += (
          await this.state.file.write(piece, written, piece.length - written, start + offset + written)
        ).bytesWritten;
      }
      offset = end;
    }
  }

  dropUnverified(): void {
    this.#pending = [];
    this.#pendingBytes = 0;
  }

  async *read(start: number, end: number): AsyncIterable<Uint8Array> {
    if (end >= this.#verified) throw new Error(`Bytes past ${this.#verified - 1} are not verified yet`);
    const path = this.#finished ? this.place.store.pathOf(this.place.record.id) : this.place.part;
    try {
      yield* readRange(path, start, end);
    } catch (error) {
      // Renamed into the store between the check and the open: read it there.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || !this.#finished) throw error;
      yield* readRange(this.place.store.pathOf(this.place.record.id), start, end);
    }
  }

  async finish(): Promise<void> {
    const { record, part, journalPath, store } = this.place;
    if (this.#verified !== record.size)
      throw new Error('A download is finished only once every byte is verified');
    if (this.state.whole.digest('hex') !== record.id) {
      await this.discard();
      throw new ChunkMismatch(-1);
    }
    try {
      await this.state.file.sync();
      await this.#close();
      await store.adopt(part, record.id);
      this.#finished = true;
      await rm(journalPath, { force: true });
    } catch (error) {
      await this.discard();
      throw storageError(error);
    }
  }

  async discard(): Promise<void> {
    await this.#close();
    await rm(this.place.journalPath, { force: true }).catch(() => {});
    if (!this.#finished) await rm(this.place.part, { force: true }).catch(() => {});
  }

  async release(): Promise<void> {
    await this.#close();
  }

  async #close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.state.file.close().catch(() => {});
    await this.state.journal.close().catch(() => {});
  }
}

/** How many chunks the journal says are verified, or `undefined` when it is not this download's journal. */
async function journaledChunks(path: string, header: string, max: number): Promise<number | undefined> {
  let bytes: Buffer;
  try {
    const handle = await open(path, 'r');
    try {
      bytes = await handle.readFile();
    } finally {
      await handle.close();
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  if (bytes.length < header.length || bytes.subarray(0, header.length).toString('latin1') !== header)
    return undefined;
  let chunks = 0;
  // Marks are written in order; a hole (a mark never written) ends what is trusted.
  while (header.length + chunks < bytes.length && bytes[header.length + chunks] === 1) chunks++;
  return Math.min(chunks, max);
}

async function* readRange(path: string, start: number, end: number): AsyncIterable<Uint8Array> {
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

async function openForWriting(path: string): Promise<PartialFileHandle> {
  try {
    return await open(path, 'r+');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    return open(path, 'w+');
  }
}

async function freeBytesIn(dir: string): Promise<number> {
  const info = await statfs(dir);
  return info.bavail * info.bsize;
}

function sha256Hex(pieces: readonly Uint8Array[]): string {
  const hash = createHash('sha256');
  for (const piece of pieces) hash.update(piece);
  return hash.digest('hex');
}

function isFullDisk(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}
