import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SqliteFileCatalog } from '../../src/adapters/storage/sqlite-file-catalog.js';
import type { FileLocator } from '../../src/application/files/mesh-catalog.js';
import { RestoreHeldCopies } from '../../src/application/files/restore-held-copies.js';
import { VersionedFileCatalog } from '../../src/application/files/versioned-catalog.js';
import type { HeldCopies } from '../../src/application/ports/files/held-copies.js';
import type { FileRecord } from '../../src/domain/file-record.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { InMemoryContentStore } from '../fakes/in-memory-content-store.js';
import { InMemoryHeldCopies } from '../fakes/in-memory-held-copies.js';
import { fileRecordOf, sha256Hex } from '../support/file-records.js';

const sha = sha256Hex;

const recordOf = (bytes: Buffer, owner = 'alice@a'): FileRecord => fileRecordOf(bytes, { owner });

/** A node's own catalog over `held`, as a (re)started node builds it. */
function ownCatalog(held: HeldCopies, clock = new FakeClock()): VersionedFileCatalog {
  return new VersionedFileCatalog(
    new SqliteFileCatalog(new Database(':memory:'), { ownsDb: true }),
    clock,
    10,
    {
      heldCopies: held,
    },
  );
}

/** A mesh catalog that knows the given records (as the copies kept in the database do after a restart). */
function locator(records: FileRecord[]): FileLocator {
  return {
    locate: (id) => {
      const record = records.find((r) => r.id === id);
      return record ? { record, holders: ['a'] } : undefined;
    },
    hasCatalog: () => true,
  };
}

async function store(...contents: Buffer[]): Promise<InMemoryContentStore> {
  const content = new InMemoryContentStore();
  for (const bytes of contents) {
    const staged = await content.stage(
      (async function* () {
        yield bytes;
      })(),
      { maxBytes: 1 << 30 },
    );
    await staged.commit();
  }
  return content;
}

describe('held copies across a restart', () => {
  it('a held copy is kept in HeldCopies and listed again after a restart when its bytes are there', async () => {
    const held = new InMemoryHeldCopies();
    const [one, two] = [Buffer.from('one'), Buffer.from('second file')];
    const before = ownCatalog(held);
    before.markHeld(sha(one));
    before.markHeld(sha(two));
    expect(held.list()).toEqual([sha(one), sha(two)]);

    const after = ownCatalog(held);
    expect(after.held()).toEqual([]);
    const content = await store(one, two);
    const outcome = await new RestoreHeldCopies({
      own: after,
      content,
      locator: locator([recordOf(one), recordOf(two)]),
    }).execute();
    expect(outcome).toEqual({ restored: [sha(one), sha(two)], dropped: [], swept: [] });
    expect(after.held()).toEqual([sha(two), sha(one)]);
  });

  it('a copy whose bytes are gone, or whose size is not the record size, is not advertised again', async () => {
    const held = new InMemoryHeldCopies();
    const [gone, cut, fine] = [Buffer.from('gone'), Buffer.from('cut short'), Buffer.from('fine')];
    for (const bytes of [gone, cut, fine]) held.add(sha(bytes));
    const content = await store(cut, fine);
    // The stored copy of `cut` lost its last byte (by hand, or a broken disk).
    content.stored.set(sha(cut), cut.subarray(0, cut.length - 1));
    const own = ownCatalog(held);
    const outcome = await new RestoreHeldCopies({
      own,
      content,
      locator: locator([recordOf(gone), recordOf(cut), recordOf(fine)]),
    }).execute();
    expect(outcome).toEqual({ restored: [sha(fine)], dropped: [sha(gone), sha(cut)], swept: [] });
    expect(own.held()).toEqual([sha(fine)]);
    expect(held.list()).toEqual([sha(fine)]);
    // The bad bytes go too (no record of this node holds them); the good ones stay.
    expect(await content.has(sha(cut))).toBe(false);
    expect(await content.has(sha(fine))).toBe(true);
  });

  it('a copy whose record no catalog copy has any more (deleted by its publisher) is dropped with its bytes', async () => {
    const held = new InMemoryHeldCopies();
    const [deleted, kept] = [Buffer.from('deleted meanwhile'), Buffer.from('still published')];
    for (const bytes of [deleted, kept]) held.add(sha(bytes));
    const content = await store(deleted, kept);
    const own = ownCatalog(held);
    const outcome = await new RestoreHeldCopies({
      own,
      content,
      locator: locator([recordOf(kept)]),
    }).execute();
    expect(outcome).toEqual({ restored: [sha(kept)], dropped: [sha(deleted)], swept: [] });
    expect(await content.has(sha(deleted))).toBe(false);
    expect(held.list()).toEqual([sha(kept)]);
  });

  it('bytes that neither an own record nor a held copy refers to are removed at start; the others stay', async () => {
    const held = new InMemoryHeldCopies();
    const [published, fetched, orphan] = [
      Buffer.from('published here'),
      Buffer.from('fetched and held'),
      // A fetched file whose process died after its bytes entered the store, before it was marked held.
      Buffer.from('fetched, never marked held'),
    ];
    held.add(sha(fetched));
    const content = await store(published, fetched, orphan);
    const own = ownCatalog(held);
    own.add(recordOf(published));
    const outcome = await new RestoreHeldCopies({
      own,
      content,
      locator: locator([recordOf(published), recordOf(fetched), recordOf(orphan)]),
    }).execute();
    expect(outcome).toEqual({ restored: [sha(fetched)], dropped: [], swept: [sha(orphan)] });
    expect(await content.has(sha(orphan))).toBe(false);
    expect(await content.has(sha(published))).toBe(true);
    expect(await content.has(sha(fetched))).toBe(true);
  });

  it('deleting a record of a content the node also holds as a fetched copy keeps the bytes', () => {
    const own = ownCatalog(new InMemoryHeldCopies());
    const bytes = Buffer.from('shared');
    own.add(recordOf(bytes, 'bob@c'));
    expect(own.remove(sha(bytes), 'bob@c').remaining).toBe(0);
    own.add(recordOf(bytes, 'bob@c'));
    own.markHeld(sha(bytes));
    const { removed, remaining } = own.remove(sha(bytes), 'bob@c');
    expect(removed?.owner).toBe('bob@c');
    expect(remaining).toBe(1);
  });

  it('a store that fails to write does not fail the download: the copy is advertised, the failure reported', () => {
    const reported: unknown[] = [];
    const failing: HeldCopies = {
      list: () => [],
      add: () => {
        throw new Error('disk I/O error');
      },
      touch: () => {},
      remove: () => {},
      close: () => {},
    };
    const own = new VersionedFileCatalog(
      new SqliteFileCatalog(new Database(':memory:'), { ownsDb: true }),
      new FakeClock(),
      10,
      { heldCopies: failing, errors: { report: (error) => reported.push(error) } },
    );
    own.markHeld('1'.repeat(64));
    expect(own.held()).toEqual(['1'.repeat(64)]);
    expect(reported).toEqual([expect.objectContaining({ message: 'disk I/O error' })]);
  });
});
