import type { ContentStore } from '../ports/files/content-store.js';
import type { FileLocator } from './mesh-catalog.js';

/** The part of the versioned own catalog this needs (`VersionedFileCatalog`). */
export interface HeldList {
  restoreHeld(
    stillHeld: (id: string) => Promise<boolean>,
  ): Promise<{ readonly restored: string[]; readonly dropped: string[] }>;
  byId(id: string): readonly unknown[];
  isHeld(id: string): boolean;
}

/**
 * At start, before the node listens: lists again the verified copies the node held before it stopped (kept in
 * `HeldCopies`), so it goes on advertising them as a holder. A copy is listed only when its bytes are in the
 * content store and their size is the size of the record the mesh catalog has for it (a content's address is
 * its SHA-256 and its bytes only ever enter the store whole, checked, by a rename, so this does not hash them
 * again: it catches a file gone or cut by hand). A copy whose size does not match is forgotten and its bytes
 * removed, unless a record of this node's own holds them; one that is gone is forgotten. So is a copy whose record
 * no catalog copy has any more, bytes included: the catalog keeps the records of held copies when their publisher
 * leaves (`MeshCatalog`), so a record gone means its publisher deleted it.
 * Then every content in the store that neither a record of this node's own nor a held copy refers to is removed:
 * the bytes of a fetched file whose process died after they entered the store but before the copy was marked
 * held, or whose held-copy row could not be written, would otherwise stay on disk unadvertised and uncounted.
 * Then the held-copy budget is applied (`HeldCopyBudget.enforce`): a restart with a lower `--held-bytes` evicts.
 */
export class RestoreHeldCopies {
  constructor(
    private readonly deps: {
      readonly own: HeldList;
      readonly content: Pick<ContentStore, 'size' | 'remove' | 'list'>;
      readonly locator: FileLocator;
      /** Applied once the copies are listed again: a lowered `--held-bytes` evicts at start. */
      readonly budget?: { enforce(): Promise<void> };
    },
  ) {}

  async execute(): Promise<{
    readonly restored: string[];
    readonly dropped: string[];
    readonly swept: string[];
  }> {
    const { own, content, locator, budget } = this.deps;
    const outcome = await own.restoreHeld(async (id) => {
      const size = await content.size(id).catch(() => undefined);
      if (size === undefined) return false;
      const record = locator.locate(id)?.record;
      if (record?.size === size) return true;
      if (own.byId(id).length === 0) await content.remove(id).catch(() => {});
      return false;
    });
    const swept: string[] = [];
    for (const id of await content.list()) {
      if (own.byId(id).length > 0 || own.isHeld(id)) continue;
      // A content that cannot be removed now (permissions, say) is tried again at the next start.
      if (
        await content.remove(id).then(
          () => true,
          () => false,
        )
      )
        swept.push(id);
    }
    await budget?.enforce();
    return { ...outcome, swept };
  }
}
