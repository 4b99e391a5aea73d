import { MAX_HELD_COPIES } from '../../domain/catalog.js';
import type { ContentStore } from '../ports/files/content-store.js';
import type { InternalErrors } from '../ports/internal-errors.js';
import type { ContentLocks } from './content-locks.js';
import type { FileLocator } from './mesh-catalog.js';

export interface HeldCopyBudgetSettings {
  /** Bytes of held copies kept at most (`--held-bytes`); 0 keeps none (every fetched file is only passed on). */
  readonly maxBytes: number;
  /** Held copies kept at most: what one node may advertise (`MAX_HELD_COPIES`). */
  readonly maxCopies: number;
}

/** `--held-bytes` when not given: this many times `--max-file-size` (8 GiB with its 4 GiB default). */
export const HELD_BYTES_PER_MAX_FILE_SIZE = 2;

export const DEFAULT_HELD_COPY_SETTINGS: HeldCopyBudgetSettings = {
  maxBytes: HELD_BYTES_PER_MAX_FILE_SIZE * 4 * 1024 ** 3,
  maxCopies: MAX_HELD_COPIES,
};

/** The part of the versioned own catalog the budget drives (`VersionedFileCatalog`). */
export interface HeldCopyList {
  markHeld(id: string): void;
  dropHeld(id: string): void;
  touchHeld(id: string): void;
  isHeld(id: string): boolean;
  /** Held ids, least recently used first. */
  heldByUse(): string[];
  /** This node's own records of content `id` (they keep its bytes whatever happens to a held copy). */
  byId(id: string): readonly unknown[];
}

/**
 * Which verified copies fetched from other nodes this node keeps (its catalog's `held` list), and when their bytes
 * go. Any client can make a node fetch any file of the mesh catalog, so what is kept is bounded twice: at most
 * `maxBytes` of held copies and at most `maxCopies` of them, evicting the least recently used (fetched or served)
 * first. Whatever stops being advertised loses its bytes too (unless a record of this node holds the same
 * content), so nothing stays on disk that is not advertised.
 *
 * - `markHeld` (from `RemoteFiles`, once a fetched content is whole in the store) admits the copy under the
 *   content's lock (`ContentLocks`, shared with publish and delete), only if a record of it is still known and the
 *   bytes are there with its size: a record deleted between the fetch and this point leaves nothing advertised
 *   and the bytes removed. A file larger than `maxBytes` is never kept: clients reading it get every byte, then
 *   the bytes go. Then older copies are evicted until both limits hold.
 * - A copy being read (`pin`, taken by each download of a copy, released when its body ends) is never evicted;
 *   when every candidate is being read the budget is exceeded until the next reader ends. Bytes that must go
 *   while read (a file too large, a deleted record) go when the last reader ends.
 * - `recordsGone` (from `MeshCatalog`, after a pull removed records): a held copy of which no record is left, the
 *   publisher's delete, is dropped with its bytes.
 * - All of it runs one step at a time in the background; failures are reported (`InternalErrors`), never thrown
 *   at the download that triggered them.
 */
export class HeldCopyBudget {
  readonly settings: HeldCopyBudgetSettings;
  readonly #sizes = new Map<string, number>();
  readonly #pins = new Map<string, number>();
  /** Contents whose bytes go once their last reader ends. */
  readonly #unkept = new Set<string>();
  #queue: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(
    private readonly deps: {
      readonly own: HeldCopyList;
      readonly content: Pick<ContentStore, 'size' | 'remove'>;
      readonly locks: ContentLocks;
      readonly locator: FileLocator;
      /** Told when a held copy is dropped, so records kept only for it can go (`MeshCatalog.pruneRetained`). */
      readonly released?: { pruneRetained(): void };
      readonly errors?: InternalErrors;
    },
    settings: Partial<HeldCopyBudgetSettings> = {},
  ) {
    this.settings = { ...DEFAULT_HELD_COPY_SETTINGS, ...settings };
  }

  /** Bytes of the held copies whose size is known (all of them once `enforce` ran after a restart). */
  get usedBytes(): number {
    let total = 0;
    for (const size of this.#sizes.values()) total += size;
    return total;
  }

  /** A fetched content is whole in the store: keep it as a held copy if it may be kept (see the class). */
  markHeld(id: string): void {
    this.#enqueue(async () => {
      await this.deps.locks.run(id, () => this.#admit(id));
      await this.#enforce();
    });
  }

  /** A client is being served content `id` from this node's copy: it becomes the most recently used. */
  served(id: string): void {
    this.deps.own.touchHeld(id);
  }

  /** Content `id` is being read; the returned function (idempotent) says the reader ended. */
  pin(id: string): () => void {
    this.#pins.set(id, (this.#pins.get(id) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#pins.get(id) ?? 1) - 1;
      if (left > 0) {
        this.#pins.set(id, left);
        return;
      }
      this.#pins.delete(id);
      this.#enqueue(async () => {
        if (this.#unkept.has(id)) await this.deps.locks.run(id, () => this.#removeUnheld(id));
        await this.#enforce();
      });
    };
  }

  /** Records of these contents left the mesh catalog: a held copy of one that has no record left is dropped. */
  recordsGone(ids: readonly string[]): void {
    if (ids.length === 0) return;
    this.#enqueue(async () => {
      for (const id of ids) {
        await this.deps.locks.run(id, async () => {
          if (!this.deps.own.isHeld(id) || this.deps.locator.locate(id)) return;
          await this.#drop(id);
        });
      }
    });
  }

  /** Applies both limits now (at start, after the held copies were listed again). Resolves when done. */
  enforce(): Promise<void> {
    return this.#enqueue(() => this.#enforce());
  }

  /** Resolves once every step queued so far is done. */
  settled(): Promise<void> {
    return this.#enqueue(async () => {});
  }

  /**
   * Finishes what is queued (the node's transfers are stopped first), removes the bytes that waited for their
   * last reader (the HTTP server is closed by then, so nobody reads them any more), then does nothing more: the
   * stores are about to close. Bytes of a fetch whose process died between its rename into the store and its
   * admission stay on disk, unadvertised (the content store cannot be listed to find them).
   */
  async stop(): Promise<void> {
    await this.#enqueue(async () => {
      this.#pins.clear();
      for (const id of [...this.#unkept]) await this.deps.locks.run(id, () => this.#removeUnheld(id));
    });
    this.#stopped = true;
  }

  async #admit(id: string): Promise<void> {
    const { own, content, locator } = this.deps;
    if (own.byId(id).length > 0) return; // a record of this node keeps the bytes already
    const size = await content.size(id);
    if (size === undefined) return;
    const record = locator.locate(id)?.record;
    if (!record || record.size !== size || size > this.settings.maxBytes || this.settings.maxCopies === 0) {
      // No record any more (deleted since the fetch began), or too large for the budget: not advertised.
      own.dropHeld(id);
      this.#sizes.delete(id);
      await this.#removeUnheld(id);
      return;
    }
    this.#unkept.delete(id);
    this.#sizes.set(id, size);
    own.markHeld(id);
  }

  async #enforce(): Promise<void> {
    const { own, content } = this.deps;
    for (;;) {
      const order = own.heldByUse();
      let total = 0;
      for (const id of order) {
        let size = this.#sizes.get(id);
        if (size === undefined) {
          size = (await content.size(id)) ?? 0;
          this.#sizes.set(id, size);
        }
        total += size;
      }
      if (total <= this.settings.maxBytes && order.length <= this.settings.maxCopies) return;
      const victim = order.find((id) => !this.#pins.has(id));
      if (victim === undefined) return;
      await this.deps.locks.run(victim, () => this.#drop(victim));
    }
  }

  /** Under the content's lock: stop advertising `id` and remove its bytes (see `#removeUnheld`). */
  async #drop(id: string): Promise<void> {
    this.deps.own.dropHeld(id);
    this.#sizes.delete(id);
    await this.#removeUnheld(id);
    this.deps.released?.pruneRetained();
  }

  /** Under the content's lock: the bytes of `id` go unless a record or a held copy keeps them; read, later. */
  async #removeUnheld(id: string): Promise<void> {
    const { own, content } = this.deps;
    if (own.isHeld(id) || own.byId(id).length > 0) {
      this.#unkept.delete(id);
      return;
    }
    if (this.#pins.has(id)) {
      this.#unkept.add(id);
      return;
    }
    this.#unkept.delete(id);
    await content.remove(id);
  }

  #enqueue(step: () => Promise<void>): Promise<void> {
    const run = this.#queue
      .then(() => (this.#stopped ? undefined : step()))
      .catch((error: unknown) => this.deps.errors?.report(error));
    this.#queue = run;
    return run;
  }
}
