import type { FileRecord } from '../../domain/file-record.js';
import type { Clock } from '../ports/clock.js';
import type { AddFileOutcome, DownloadEntry, FileCatalog, FileQuery } from '../ports/files/file-catalog.js';

/**
 * This node's file catalog with a version for the mesh catalog: it changes with every record added or removed
 * (publish, delete, an unregistered user's files), never otherwise. It starts from the clock's milliseconds, so
 * a restarted node's version is new to its peers, and each change moves it past both the last one and the clock.
 */
export class VersionedFileCatalog implements FileCatalog {
  #version: number;

  constructor(
    private readonly inner: FileCatalog,
    private readonly clock: Clock,
  ) {
    this.#version = clock.now();
  }

  get version(): number {
    return this.#version;
  }

  add(record: FileRecord): AddFileOutcome {
    const outcome = this.inner.add(record);
    if (outcome === 'added') this.#changed();
    return outcome;
  }

  byId(id: string): FileRecord[] {
    return this.inner.byId(id);
  }

  byName(owner: string, name: string): FileRecord | undefined {
    return this.inner.byName(owner, name);
  }

  remove(id: string, owner: string): { readonly removed?: FileRecord; readonly remaining: number } {
    const result = this.inner.remove(id, owner);
    if (result.removed) this.#changed();
    return result;
  }

  list(query: FileQuery): FileRecord[] {
    return this.inner.list(query);
  }

  /** Downloads do not change the records: the version stays. */
  recordDownload(id: string, entry: DownloadEntry): void {
    this.inner.recordDownload(id, entry);
  }

  downloads(id: string, limit: number): DownloadEntry[] {
    return this.inner.downloads(id, limit);
  }

  close(): void {
    this.inner.close();
  }

  #changed(): void {
    this.#version = Math.max(this.#version + 1, this.clock.now());
  }
}
