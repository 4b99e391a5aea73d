import { constants } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';

/** The part of a file handle a partial download writes through (a test passes one that fails like a full disk). */
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
  /** Cuts the file to `length` bytes (a direct write pads the file's last block past its end). */
  truncate?(length: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Offsets, lengths and memory of a direct write are multiples of this (the largest logical block size in use,
 * so it holds for 512-byte and 4 KiB sector disks alike).
 */
export const DIRECT_ALIGN = 4096;
/** The aligned buffer a direct write goes through: four 1 MiB chunks, one `WRITE_BATCH` of a download. */
const STAGING_BYTES = 4 * 1024 * 1024;
const WASM_PAGE = 64 * 1024;

/** Errors that say "this file (system) does not take direct I/O": the file is then written the usual way. */
const NOT_DIRECT = new Set(['EINVAL', 'EOPNOTSUPP', 'ENOTSUP']);

/**
 * Opens the partial file of a download for direct writes (`O_DIRECT`): the bytes go from one aligned staging
 * buffer of this process straight to the device, not through the page cache. A download's bytes are written
 * once and not read again soon (readers get them from memory), so the page cache only cost a copy per byte
 * and the memory to hold it: on the VM the bench runs on, where fresh page-cache pages are backed by the host
 * on first touch, that copy was 2.3 to 3 CPU-seconds per GiB, most of a fetching node's system time, against
 * under 0.1 for the same bytes written directly. Where the file system refuses `O_DIRECT` (tmpfs on old
 * kernels, some network file systems) or there is no WebAssembly (for the aligned memory), the file is opened
 * as before. Created when missing, never truncated (a download resumes into it).
 */
export async function openDirectPart(path: string): Promise<PartialFileHandle> {
  const staging = alignedBuffer(STAGING_BYTES);
  if (staging !== undefined) {
    try {
      const handle = await open(path, constants.O_RDWR | constants.O_CREAT | constants.O_DIRECT, 0o644);
      return new DirectPartFile(path, handle, staging);
    } catch (error) {
      if (!NOT_DIRECT.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
    }
  }
  return openForWriting(path);
}

/** Opens a file for buffered writing, created when missing and never truncated. */
export async function openForWriting(path: string): Promise<FileHandle> {
  try {
    return await open(path, 'r+');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    return open(path, 'w+');
  }
}

/**
 * `size` bytes whose address is a multiple of `DIRECT_ALIGN`, or `undefined` without WebAssembly: a
 * WebAssembly memory starts on a page boundary (V8 maps it on its own pages), which a plain `Buffer` (from
 * `malloc`) does not promise.
 */
function alignedBuffer(size: number): Buffer | undefined {
  const wasm = (
    globalThis as { WebAssembly?: { Memory: new (d: { initial: number }) => { buffer: ArrayBuffer } } }
  ).WebAssembly;
  if (wasm === undefined) return undefined;
  return Buffer.from(new wasm.Memory({ initial: Math.ceil(size / WASM_PAGE) }).buffer, 0, size);
}

/**
 * A partial file written with `O_DIRECT` through an aligned staging buffer: each write copies its bytes there
 * (a copy within this process's memory, cheap next to the page cache's) and writes them in aligned pieces. A
 * write whose end is not aligned (a file's last chunk) is padded with zeros to the next block; the download
 * truncates the file to its size before it is synced and moved into the store. A write at an unaligned offset
 * (a chunk size that is not a multiple of `DIRECT_ALIGN`), or one the file system refuses, goes through an
 * ordinary handle of the same file instead (Linux keeps the two views coherent); after a refusal every later
 * write does. Writes are serialized: one staging buffer.
 *
 * The resume guarantee is unchanged: a direct write has reached the device (its cache) once it returns, so
 * the journal mark written after it never precedes its bytes when the process is killed (as with the page
 * cache before, which also outlives the process). `sync` is `fdatasync`: what must be durable before the
 * file moves into the store are its bytes and size, not its times.
 */
export class DirectPartFile implements PartialFileHandle {
  #direct: FileHandle | undefined;
  #buffered: FileHandle | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly path: string,
    direct: FileHandle,
    private readonly staging: Buffer,
    /** Opens the ordinary handle for writes that cannot be direct (a test counts them). */
    private readonly openBuffered: (path: string) => Promise<FileHandle> = openForWriting,
  ) {
    this.#direct = direct;
  }

  /** Whether writes still go direct (false after the file system refused one). */
  get direct(): boolean {
    return this.#direct !== undefined;
  }

  write(
    bytes: Uint8Array,
    offset: number,
    length: number,
    position: number,
  ): Promise<{ readonly bytesWritten: number }> {
    return this.writev([bytes.subarray(offset, offset + length)], position);
  }

  writev(buffers: Uint8Array[], position: number): Promise<{ readonly bytesWritten: number }> {
    const done = this.#queue.then(() => this.#writeStaged(buffers, position));
    this.#queue = done.catch(() => {});
    return done;
  }

  async #writeStaged(buffers: Uint8Array[], position: number): Promise<{ readonly bytesWritten: number }> {
    const total = buffers.reduce((sum, b) => sum + b.length, 0);
    if (this.#direct === undefined || position % DIRECT_ALIGN !== 0) {
      await this.#writeBuffered(buffers, position);
      return { bytesWritten: total };
    }
    let filled = 0;
    let at = position;
    for (const buffer of buffers) {
      for (let offset = 0; offset < buffer.length; ) {
        const take = Math.min(this.staging.length - filled, buffer.length - offset);
        this.staging.set(buffer.subarray(offset, offset + take), filled);
        filled += take;
        offset += take;
        if (filled === this.staging.length) {
          await this.#flush(filled, at);
          at += filled;
          filled = 0;
        }
      }
    }
    if (filled > 0) await this.#flush(filled, at);
    return { bytesWritten: total };
  }

  /** Writes the first `length` staged bytes at `position`, padded to a whole block. */
  async #flush(length: number, position: number): Promise<void> {
    const padded = Math.ceil(length / DIRECT_ALIGN) * DIRECT_ALIGN;
    this.staging.fill(0, length, padded);
    try {
      for (let done = 0; done < padded; ) {
        const direct = this.#direct;
        if (direct === undefined)
          throw Object.assign(new Error('direct writes were given up'), { code: 'EINVAL' });
        const { bytesWritten } = await direct.write(this.staging, done, padded - done, position + done);
        if (bytesWritten <= 0) throw new Error(`${this.path}: a direct write wrote nothing`);
        done += bytesWritten;
      }
    } catch (error) {
      if (!NOT_DIRECT.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
      // Refused (an alignment the device needs beyond ours, a file system that takes the open but not the
      // write): this and every later write go through the page cache.
      const direct = this.#direct;
      this.#direct = undefined;
      await direct?.close().catch(() => {});
      await this.#writeBuffered([Buffer.from(this.staging.subarray(0, length))], position);
    }
  }

  async #writeBuffered(buffers: Uint8Array[], position: number): Promise<void> {
    this.#buffered ??= await this.openBuffered(this.path);
    await writeAll(this.#buffered, buffers, position);
  }

  async truncate(length: number): Promise<void> {
    await this.#queue;
    await (this.#direct ?? this.#buffered)?.truncate(length);
  }

  async sync(): Promise<void> {
    await this.#queue;
    await this.#direct?.datasync();
    await this.#buffered?.datasync();
  }

  async close(): Promise<void> {
    await this.#queue;
    const handles = [this.#direct, this.#buffered];
    this.#direct = undefined;
    this.#buffered = undefined;
    for (const handle of handles) await handle?.close().catch(() => {});
  }
}

/**
 * Buffers at `start` in one `writev` (one system call when the disk takes it all), the rest piece by piece; a
 * write that writes nothing is an error rather than a loop.
 */
export async function writeAll(file: PartialFileHandle, buffers: Uint8Array[], start: number): Promise<void> {
  const done = (await file.writev(buffers, start)).bytesWritten;
  let offset = 0;
  for (const buffer of buffers) {
    for (let written = Math.max(0, done - offset); written < buffer.length; ) {
      const { bytesWritten } = await file.write(
        buffer,
        written,
        buffer.length - written,
        start + offset + written,
      );
      if (bytesWritten <= 0) throw new Error('A write to a partial file wrote nothing.');
      written += bytesWritten;
    }
    offset += buffer.length;
  }
}
