import { createHash } from 'node:crypto';
import { mkdir, open, readdir, rm, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { StorageFull } from '../../application/files/file-errors.js';
import type { PartialDownload, PartialDownloads } from '../../application/ports/files/partial-downloads.js';
import type { FileRecord } from '../../domain/file-record.js';
import { openDirectPart, openForWriting, type PartialFileHandle } from './direct-part-file.js';
import { type DiskContentStore, storageError } from './disk-content-store.js';
import { transferHeapGrowth } from './heap-growth.js';
import { isFullDisk, JournaledDownload, readRange } from './journaled-download.js';

export type { PartialFileHandle };

export interface JournaledPartialDownloadsOptions {
  /**
   * Opens the partial file and the journal for writing (created when missing, never truncated). By default the
   * partial file is written direct (`openDirectPart`: `O_DIRECT` where the file system takes it) and the
   * journal through the page cache.
   */
  readonly openFile?: (path: string) => Promise<PartialFileHandle>;
  /** Bytes free for this process in `dir`; `statfs` by default. */
  readonly freeBytes?: (dir: string) => Promise<number>;
  /** SHA-256 of one chunk, as lower-case hex (a test counts the calls). */
  readonly chunkDigest?: (pieces: readonly Uint8Array[]) => string;
  /** How long a reader may hold the source back (`READER_WAIT_MS` by default; see `JournaledDownload.read`). */
  readonly readerWaitMs?: number;
  /**
   * Taken when a download opens, released when it closes: more heap growth while bytes arrive
   * (`TRANSFER_HEAP_GROWING_PERCENT`); the process's `transferHeapGrowth` by default.
   */
  readonly holdHeapGrowth?: () => () => void;
}

/** Room kept free beyond what a download still needs, for the journal and the rest of the node. */
export const FREE_SPACE_MARGIN = 16 * 1024 * 1024;
const JOURNAL_MAGIC = 'meshchat-partial 1';

/**
 * `PartialDownloads` in `<store root>/partial/`: `<id>.part` holds the bytes at their place in the file, and
 * `<id>.journal` a header (`meshchat-partial 1 <size> <chunkSize>`, one line) then one byte per chunk verified,
 * appended only after the chunk's bytes were written. A download opened again trusts the journal: its chunks
 * are not checked again (bytes past them in `.part` are overwritten). The whole-content SHA-256 needs every
 * byte in order, so a download resumed by a new process reads its verified part once to continue that hash
 * (reading, not checking chunks). Writes overlap receiving (`JournaledDownload`: a bounded queue of verified
 * chunks); the journal marks a chunk only once its bytes were written, so a killed process resumes from the last
 * chunk written and marked, and loses only what was queued. The partial file is written direct (`O_DIRECT`,
 * `openDirectPart`; the journal through the page cache): a chunk's bytes have left the process and the page
 * cache before its mark is written, so a killed process (kill -9) never leaves a mark ahead of its bytes.
 * Nothing is synced per chunk (`fdatasync` every 32 chunks, not waited for): after a crash of the machine, a
 * journal ahead of bytes the device had not made durable is caught by the whole-content check, which discards
 * the download (it starts over). A complete file is cut to its size, synced, checked against its id and renamed
 * into the store, so a corrupt or partial file never appears under a content address.
 */
export class JournaledPartialDownloads implements PartialDownloads {
  readonly dir: string;
  readonly #openFile: (path: string) => Promise<PartialFileHandle>;
  readonly #openPart: (path: string) => Promise<PartialFileHandle>;
  readonly #freeBytes: (dir: string) => Promise<number>;
  readonly #chunkDigest: (pieces: readonly Uint8Array[]) => string;
  readonly #readerWaitMs: number | undefined;
  readonly #holdHeapGrowth: () => () => void;

  constructor(
    readonly store: DiskContentStore,
    options: JournaledPartialDownloadsOptions = {},
  ) {
    this.dir = join(store.root, 'partial');
    this.#openFile = options.openFile ?? openForWriting;
    this.#openPart = options.openFile ?? openDirectPart;
    this.#freeBytes = options.freeBytes ?? freeBytesIn;
    this.#chunkDigest = options.chunkDigest ?? sha256Hex;
    this.#readerWaitMs = options.readerWaitMs;
    this.#holdHeapGrowth = options.holdHeapGrowth ?? (() => transferHeapGrowth.hold());
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
      file = await this.#openPart(part);
      journal = await this.#openFile(journalPath);
      if (chunks === 0) await journal.write(Buffer.from(header), 0, header.length, 0);
      const whole = createHash('sha256');
      if (verified > 0) for await (const piece of readRange(part, 0, verified - 1)) whole.update(piece);
      return new JournaledDownload(
        { record, part, journalPath, headerLength: header.length, store: this.store },
        {
          file,
          journal,
          whole,
          verified,
          chunkDigest: this.#chunkDigest,
          releaseHeapGrowth: this.#holdHeapGrowth(),
          ...(this.#readerWaitMs === undefined ? {} : { readerWaitMs: this.#readerWaitMs }),
        },
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

async function freeBytesIn(dir: string): Promise<number> {
  const info = await statfs(dir);
  return info.bavail * info.bsize;
}

function sha256Hex(pieces: readonly Uint8Array[]): string {
  const hash = createHash('sha256');
  for (const piece of pieces) hash.update(piece);
  return hash.digest('hex');
}
