import { MAX_CATALOG_TOMBSTONES, type RemovedRecord } from '../../domain/catalog.js';
import type { FileRecord } from '../../domain/file-record.js';
import type { Clock } from '../ports/clock.js';
import type { AddFileOutcome, DownloadEntry, FileCatalog, FileQuery } from '../ports/files/file-catalog.js';
import type { HeldCopies } from '../ports/files/held-copies.js';
import type { InternalErrors } from '../ports/internal-errors.js';

/** What changed in this node's records after a version: records added since, and tombstones of those removed. */
export interface CatalogChanges {
  readonly files: FileRecord[];
  readonly removed: RemovedRecord[];
}

function key(record: { readonly id: string; readonly owner: string }): string {
  return `${record.owner} ${record.id}`;
}

/**
 * This node's file catalog with a version for the mesh catalog: it changes with every record added or removed
 * (publish, delete, an unregistered user's files), never otherwise. It starts from the clock's milliseconds, so
 * a restarted node's version is new to its peers, and each change moves it past both the last one and the clock.
 *
 * It also remembers, in memory, the version at which each record was added since the start and a tombstone
 * `{id, owner, version}` for each removal, the newest `maxTombstones` of them, so `changesSince` can answer a
 * peer that holds an older version with the difference only. A version before the start, or before the newest
 * tombstone it had to drop, cannot be answered that way (`undefined`: the peer gets the whole catalog).
 *
 * The ids of the files this node holds a verified copy of (`held`) are kept in `HeldCopies` too, when given, so a
 * restarted node advertises them again once `restoreHeld` checked that their bytes are still there.
 */
export class VersionedFileCatalog implements FileCatalog {
  #version: number;
  /** The oldest version a difference can start from. */
  #horizon: number;
  readonly #added = new Map<string, number>();
  readonly #tombstones = new Map<string, RemovedRecord & { readonly version: number }>();
  /** Held copies, oldest first. */
  readonly #held = new Set<string>();

  constructor(
    private readonly inner: FileCatalog,
    private readonly clock: Clock,
    private readonly maxTombstones = MAX_CATALOG_TOMBSTONES,
    private readonly kept: { readonly heldCopies?: HeldCopies; readonly errors?: InternalErrors } = {},
  ) {
    this.#version = clock.now();
    this.#horizon = this.#version;
  }

  get version(): number {
    return this.#version;
  }

  add(record: FileRecord): AddFileOutcome {
    const outcome = this.inner.add(record);
    if (outcome === 'added') {
      this.#changed();
      this.#tombstones.delete(key(record));
      this.#added.set(key(record), this.#version);
    }
    return outcome;
  }

  byId(id: string): FileRecord[] {
    return this.inner.byId(id);
  }

  byName(owner: string, name: string): FileRecord | undefined {
    return this.inner.byName(owner, name);
  }

  /**
   * A held copy counts among what still holds the content (`remaining`): deleting a record of a content this
   * node also fetched as a verified copy keeps the bytes, which it goes on advertising and serving.
   */
  remove(id: string, owner: string): { readonly removed?: FileRecord; readonly remaining: number } {
    const inner = this.inner.remove(id, owner);
    const result = this.#held.has(id) ? { ...inner, remaining: inner.remaining + 1 } : inner;
    if (result.removed) {
      this.#changed();
      const k = key({ id, owner });
      this.#added.delete(k);
      this.#tombstones.delete(k);
      this.#tombstones.set(k, { id, owner, version: this.#version });
      for (const [oldest, grave] of this.#tombstones) {
        if (this.#tombstones.size <= this.maxTombstones) break;
        this.#tombstones.delete(oldest);
        this.#horizon = Math.max(this.#horizon, grave.version);
      }
    }
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

  /**
   * Notes that this node now holds a verified copy of content `id` (fetched from another node): it is listed in
   * `held()` and the version moves so peers pull it (an id already listed changes nothing). Kept in `HeldCopies`
   * too, so a restart does not forget it. Nothing is bounded here: `HeldCopyBudget` decides what is kept and
   * drops copies (`dropHeld`) past its byte and count limits, bytes included.
   */
  markHeld(id: string): void {
    if (this.#held.has(id)) return;
    this.#held.add(id);
    this.#keep((store) => store.add(id));
    this.#changed();
  }

  /** A held copy was just served: it becomes the most recently used (the version stays: the list is the same). */
  touchHeld(id: string): void {
    if (!this.#held.delete(id)) return;
    this.#held.add(id);
    this.#keep((store) => store.touch(id));
  }

  /** This node no longer advertises a copy of `id` (evicted, or its record deleted); the version moves. */
  dropHeld(id: string): void {
    if (!this.#held.delete(id)) return;
    this.#keep((store) => store.remove(id));
    this.#changed();
  }

  /**
   * At start, before any peer pulls: lists again the held copies `HeldCopies` kept, each only once `stillHeld`
   * resolves `true` for it (its bytes are in the content store and match); the others are forgotten. The version
   * stays: a restarted node's version is new to its peers anyway, so their next pull carries the list whole.
   * Resolves with the ids listed again and those forgotten; rejects only when `HeldCopies` cannot be read.
   */
  async restoreHeld(
    stillHeld: (id: string) => Promise<boolean>,
  ): Promise<{ readonly restored: string[]; readonly dropped: string[] }> {
    const restored: string[] = [];
    const dropped: string[] = [];
    for (const id of this.kept.heldCopies?.list() ?? []) {
      if (await stillHeld(id)) {
        this.#held.add(id);
        restored.push(id);
      } else {
        this.#keep((store) => store.remove(id));
        dropped.push(id);
      }
    }
    return { restored, dropped };
  }

  isHeld(id: string): boolean {
    return this.#held.has(id);
  }

  /** Ids of the files this node holds a verified copy of (see `markHeld`), most recently used first. */
  held(): string[] {
    return [...this.#held].reverse();
  }

  /** The same ids, least recently used first: the order `HeldCopyBudget` evicts in. */
  heldByUse(): string[] {
    return [...this.#held];
  }

  /**
   * The records added and removed after version `since`, at most `maxFiles` records; `undefined` when `since`
   * is not a version this node can answer a difference from (before its start or its oldest kept tombstone, or
   * ahead of its version), or when more than `maxFiles` records changed.
   */
  changesSince(since: number, maxFiles: number): CatalogChanges | undefined {
    if (since < this.#horizon || since > this.#version) return undefined;
    const files: FileRecord[] = [];
    for (const [k, version] of this.#added) {
      if (version <= since) continue;
      if (files.length >= maxFiles) return undefined;
      const [owner, id] = k.split(' ') as [string, string];
      const record = this.inner.byId(id).find((r) => r.owner === owner);
      if (record) files.push(record);
    }
    const removed: RemovedRecord[] = [];
    for (const grave of this.#tombstones.values()) {
      if (grave.version > since) removed.push({ id: grave.id, owner: grave.owner });
    }
    return { files, removed };
  }

  close(): void {
    this.inner.close();
  }

  /**
   * Writes to `HeldCopies`; a failure is reported, not thrown: the copy is held and advertised all the same, only
   * a restart may forget it (a download that completed must not fail over its bookkeeping).
   */
  #keep(write: (store: HeldCopies) => void): void {
    const { heldCopies, errors } = this.kept;
    if (!heldCopies) return;
    try {
      write(heldCopies);
    } catch (error) {
      errors?.report(error);
    }
  }

  #changed(): void {
    this.#version = Math.max(this.#version + 1, this.clock.now());
  }
}
