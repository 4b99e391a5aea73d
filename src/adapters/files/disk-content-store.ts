import { randomUUID } from 'node:crypto';
import { access, type FileHandle, mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { StorageFailed, StorageFull } from '../../application/files/file-errors.js';
import type { ByteRange, ContentStore, StagedContent } from '../../application/ports/files/content-store.js';
import { MeshError } from '../../domain/errors.js';
import { isFileId } from '../../domain/file-record.js';
import { boundedUpload } from './bounded-upload.js';
import { ChunkHasher } from './chunk-hasher.js';

/** The part of a file handle staging writes through (a test passes one that fails like a full disk). */
export interface StagingFile {
  /** Like `FileHandle.write`: may write fewer bytes than given. */
  write(bytes: Uint8Array): Promise<{ readonly bytesWritten: number }>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

export interface DiskContentStoreOptions {
  readonly chunkSize?: number;
  /** Creates a staging file for writing; `fs.promises.open(path, 'wx')` by default. */
  readonly createFile?: (path: string) => Promise<StagingFile>;
  /** Remove the whole directory on `close` (a node without a data dir keeps its files in a temporary one). */
  readonly removeOnClose?: boolean;
}

const FULL_DISK_CODES = new Set(['ENOSPC', 'EDQUOT']);
/**
 * Bytes per read of a stored file sent to a client: Node's default 64 KiB makes a 1 GiB file 16,384 reads,
 * socket writes and promises on the way out; 1 MiB makes it 1,024, for 1 MiB of memory per download.
 */
const READ_PIECE_BYTES = 1024 * 1024;

/**
 * `ContentStore` in a directory: `<root>/<first 2 hex of the id>/<id>` holds a content, written once and only
 * renamed into place whole and synced. Uploads are staged in `<root>/uploads/` (emptied before the store's
 * first upload: what a crash left there is not resumable), so a partial file never appears under a content
 * address. Nothing touches the disk before the first call, so building a store costs nothing.
 * Downloads from other nodes are journaled in `<root>/partial/` (`JournaledPartialDownloads`) and `adopt`ed.
 */
export class DiskContentStore implements ContentStore {
  readonly #uploads: string;
  readonly #createFile: (path: string) => Promise<StagingFile>;
  readonly #chunkSize: number | undefined;
  #ready: Promise<void> | undefined;

  constructor(
    readonly root: string,
    private readonly options: DiskContentStoreOptions = {},
  ) {
    this.#uploads = join(root, 'uploads');
    this.#chunkSize = options.chunkSize;
    this.#createFile = options.createFile ?? ((path) => open(path, 'wx'));
  }

  #prepare(): Promise<void> {
    this.#ready ??= (async () => {
      await rm(this.#uploads, { recursive: true, force: true });
      await mkdir(this.#uploads, { recursive: true });
    })().catch((error: unknown) => {
      this.#ready = undefined;
      throw error;
    });
    return this.#ready;
  }

  /** Where a content lives. Only ever called with a checked id, so no caller's text becomes a path. */
  pathOf(id: string): string {
    if (!isFileId(id)) throw new Error(`Not a content id: ${id.slice(0, 80)}`);
    return join(this.root, id.slice(0, 2), id);
  }

  async stage(
    source: AsyncIterable<Uint8Array>,
    limits: { readonly maxBytes: number },
  ): Promise<StagedContent> {
    const path = join(this.#uploads, `${randomUUID()}.upload`);
    const hasher = new ChunkHasher(this.#chunkSize);
    let file: StagingFile | undefined;
    try {
      await this.#prepare();
      file = await this.#createFile(path);
      for await (const piece of boundedUpload(source, limits.maxBytes)) {
        hasher.update(piece);
        for (let written = 0; written < piece.length; ) {
          written += (await file.write(piece.subarray(written))).bytesWritten;
        }
      }
      await file.sync();
      await file.close();
      file = undefined;
    } catch (error) {
      await file?.close().catch(() => {});
      await rm(path, { force: true });
      throw storageError(error);
    }
    return this.#staged(path, hasher);
  }

  #staged(path: string, hasher: ChunkHasher): StagedContent {
    const digest = hasher.digest();
    let settled = false;
    return {
      ...digest,
      commit: async () => {
        if (settled) return;
        const target = this.pathOf(digest.id);
        try {
          if (await this.has(digest.id)) await rm(path, { force: true });
          else {
            await mkdir(join(this.root, digest.id.slice(0, 2)), { recursive: true });
            await rename(path, target);
          }
          settled = true;
        } catch (error) {
          throw storageError(error);
        }
      },
      discard: async () => {
        if (settled) return;
        settled = true;
        await rm(path, { force: true }).catch(() => {});
      },
    };
  }

  /**
   * Moves a complete, checked file at `path` (on the same file system) to the address of `id`; when the store
   * already holds `id`, removes `path` instead. The caller checked the bytes against the id.
   */
  async adopt(path: string, id: string): Promise<void> {
    try {
      if (await this.has(id)) await rm(path, { force: true });
      else {
        await mkdir(join(this.root, id.slice(0, 2)), { recursive: true });
        await rename(path, this.pathOf(id));
      }
    } catch (error) {
      throw storageError(error);
    }
  }

  async open(id: string, range?: ByteRange): Promise<AsyncIterable<Uint8Array> | undefined> {
    let handle: FileHandle;
    try {
      handle = await open(this.pathOf(id), 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw storageError(error);
    }
    return handle.createReadStream({
      ...(range ? { start: range.start, end: range.end } : {}),
      highWaterMark: READ_PIECE_BYTES,
      autoClose: true,
    });
  }

  async has(id: string): Promise<boolean> {
    try {
      await access(this.pathOf(id));
      return true;
    } catch {
      return false;
    }
  }

  async size(id: string): Promise<number | undefined> {
    try {
      const found = await stat(this.pathOf(id));
      return found.isFile() ? found.size : undefined;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw storageError(error);
    }
  }

  async remove(id: string): Promise<void> {
    await rm(this.pathOf(id), { force: true });
  }

  /** Every `<root>/<2 hex>/<id>` file; `uploads/` and `partial/` are not contents (their names are no prefix). */
  async list(): Promise<string[]> {
    const ids: string[] = [];
    for (const prefix of await entriesOf(this.root)) {
      if (!prefix.isDirectory() || !/^[0-9a-f]{2}$/.test(prefix.name)) continue;
      for (const entry of await entriesOf(join(this.root, prefix.name))) {
        if (entry.isFile() && isFileId(entry.name) && entry.name.startsWith(prefix.name))
          ids.push(entry.name);
      }
    }
    return ids;
  }

  async close(): Promise<void> {
    if (this.options.removeOnClose) await rm(this.root, { recursive: true, force: true });
  }
}

/** A directory's entries; none when it does not exist (a store that never stored anything). */
async function entriesOf(dir: string) {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw storageError(error);
  }
}

/** A failure of the disk as the use cases name it; the use cases' own refusals pass through. */
export function storageError(error: unknown): unknown {
  if (error instanceof MeshError) return error;
  const code = (error as NodeJS.ErrnoException).code ?? '';
  if (FULL_DISK_CODES.has(code)) return new StorageFull();
  const why = error instanceof Error ? error.message : String(error);
  return new StorageFailed(`The node could not write the file (${why}); nothing was kept. Try again later.`);
}
