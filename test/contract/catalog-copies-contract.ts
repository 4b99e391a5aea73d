import { describe, expect, it } from 'vitest';
import type { CatalogCopies, PartLimits } from '../../src/application/ports/files/catalog-copies.js';
import { catalogRecordBytes } from '../../src/domain/catalog.js';
import type { FileRecord } from '../../src/domain/file-record.js';

export interface CatalogCopiesSetup {
  readonly copies: CatalogCopies;
  /** Closes the store and opens it again on the same storage (durable adapters only). */
  readonly reopen?: () => CatalogCopies;
}

const ROOMY: PartLimits = { maxRecords: 1_000, maxBytes: 4 * 1024 * 1024 };

function record(owner: string, name: string, digit: string, description = ''): FileRecord {
  return {
    id: digit.repeat(64),
    name,
    description,
    size: 3,
    type: 'text/plain',
    owner,
    publishedAt: '2026-01-01T00:00:00.000Z',
    chunkSize: 1024 * 1024,
    chunks: ['c'.repeat(64)],
  };
}

const names = (records: readonly FileRecord[]) => records.map((r) => `${r.owner}/${r.name}`).sort();

/** What every `CatalogCopies` must do (the port's contract), run against the fake and the SQLite adapter. */
export function describeCatalogCopiesContract(name: string, setup: () => CatalogCopiesSetup): void {
  describe(`CatalogCopies contract: ${name}`, () => {
    it('replaces a part whole and lists it with its version, count and bytes', () => {
      const { copies } = setup();
      const one = record('alice@a', 'one.txt', '1');
      copies.replace('a', 10, [one, record('alice@a', 'two.txt', '2')], ROOMY);
      expect(copies.replace('a', 11, [one], ROOMY)).toBe(1);
      expect(copies.parts()).toEqual([
        { node: 'a', version: 11, records: 1, bytes: catalogRecordBytes(one) },
      ]);
      expect(copies.search(['a'], { limit: 10 })).toEqual([one]);
    });

    it('lists a part replaced whole newest first, as given, and a difference after it newer still', () => {
      const { copies } = setup();
      // `GET /files/catalog` answers newest first; a difference lists its changes oldest first.
      const [newest, middle, oldest] = ['3', '2', '1'].map((d) => record('alice@a', `${d}.txt`, d));
      copies.replace('a', 1, [newest, middle, oldest] as FileRecord[], ROOMY);
      const listed = () => copies.search(['a'], { limit: 10 }).map((r) => r.name);
      expect(listed()).toEqual(['3.txt', '2.txt', '1.txt']);
      expect(copies.search(['a'], { owner: 'alice@a', limit: 2 }).map((r) => r.name)).toEqual([
        '3.txt',
        '2.txt',
      ]);
      const later = ['4', '5'].map((d) => record('alice@a', `${d}.txt`, d));
      copies.apply('a', 2, later, [], ROOMY);
      expect(listed()).toEqual(['5.txt', '4.txt', '3.txt', '2.txt', '1.txt']);
      // Cut to the limits, a whole part keeps its newest records.
      copies.replace('a', 3, [newest, middle, oldest] as FileRecord[], { maxRecords: 2, maxBytes: 1e9 });
      expect(listed()).toEqual(['3.txt', '2.txt']);
    });

    it('searches words as prefixes, all required, of the given nodes only, and by owner', () => {
      const { copies } = setup();
      copies.replace('a', 1, [record('alice@a', 'Holiday photos.zip', '1', 'beach and sun')], ROOMY);
      copies.replace('b', 1, [record('bob@b', 'beach-map.pdf', '2', 'where to swim')], ROOMY);
      expect(names(copies.search(['a', 'b'], { words: ['beach'], limit: 10 }))).toEqual([
        'alice@a/Holiday photos.zip',
        'bob@b/beach-map.pdf',
      ]);
      expect(names(copies.search(['a', 'b'], { words: ['hol', 'sun'], limit: 10 }))).toEqual([
        'alice@a/Holiday photos.zip',
      ]);
      expect(copies.search(['a', 'b'], { words: ['holiday', 'swim'], limit: 10 })).toEqual([]);
      expect(names(copies.search(['b'], { words: ['beach'], limit: 10 }))).toEqual(['bob@b/beach-map.pdf']);
      expect(copies.search([], { words: ['beach'], limit: 10 })).toEqual([]);
      expect(names(copies.search(['a', 'b'], { owner: 'bob@b', limit: 10 }))).toEqual([
        'bob@b/beach-map.pdf',
      ]);
      expect(copies.search(['a', 'b'], { limit: 1 })).toHaveLength(1);
    });

    it('never reads a word as query syntax', () => {
      const { copies } = setup();
      copies.replace('a', 1, [record('alice@a', 'notes.txt', '1')], ROOMY);
      for (const word of ['"', 'not*', 'NEAR(', 'a OR', '-x', '^'])
        expect(() => copies.search(['a'], { words: [word], limit: 5 })).not.toThrow();
    });

    it('applies a difference: tombstones remove, changed records are added or replace the same owner and id', () => {
      const { copies } = setup();
      copies.replace(
        'a',
        10,
        [record('alice@a', 'keep.txt', '1'), record('alice@a', 'gone.txt', '2')],
        ROOMY,
      );
      const renamed = record('alice@a', 'kept-renamed.txt', '1', 'new words');
      const count = copies.apply(
        'a',
        12,
        [renamed, record('alice@a', 'new.txt', '3')],
        [{ id: '2'.repeat(64), owner: 'alice@a' }],
        ROOMY,
      );
      expect(count).toBe(2);
      expect(names(copies.search(['a'], { limit: 10 }))).toEqual([
        'alice@a/kept-renamed.txt',
        'alice@a/new.txt',
      ]);
      expect(copies.search(['a'], { words: ['words'], limit: 10 })).toEqual([renamed]);
      expect(copies.parts().map((p) => [p.node, p.version, p.records])).toEqual([['a', 12, 2]]);
    });

    it('a difference of one node never touches the records of another', () => {
      const { copies } = setup();
      copies.replace('b', 5, [record('bob@b', 'b.txt', '1')], ROOMY);
      copies.apply(
        'a',
        6,
        [record('bob@b', 'forged.txt', '1')],
        [{ id: '1'.repeat(64), owner: 'bob@b' }],
        ROOMY,
      );
      expect(names(copies.search(['a', 'b'], { limit: 10 }))).toEqual(['bob@b/b.txt']);
    });

    it('concurrent publish on one node and delete on another converge whatever the order', () => {
      const publishOnA = (c: CatalogCopies) =>
        c.apply('a', 11, [record('alice@a', 'new.txt', '3')], [], ROOMY);
      const deleteOnB = (c: CatalogCopies) =>
        c.apply('b', 21, [], [{ id: '7'.repeat(64), owner: 'bob@b' }], ROOMY);
      const results = [
        [publishOnA, deleteOnB],
        [deleteOnB, publishOnA],
      ].map((order) => {
        const { copies } = setup();
        copies.replace('a', 10, [record('alice@a', 'shared.txt', '7')], ROOMY);
        copies.replace('b', 20, [record('bob@b', 'shared.txt', '7')], ROOMY);
        for (const step of order) step(copies);
        return {
          all: names(copies.search(['a', 'b'], { limit: 10 })),
          parts: copies
            .parts()
            .map((p) => [p.node, p.version, p.records])
            .sort(),
        };
      });
      expect(results[0]).toEqual(results[1]);
      expect(results[0]?.all).toEqual(['alice@a/new.txt', 'alice@a/shared.txt']);
    });

    it('keeps no record past the limits, in records or in bytes', () => {
      const { copies } = setup();
      const many = ['1', '2', '3', '4'].map((d) => record('alice@a', `${d}.txt`, d));
      expect(copies.replace('a', 1, many, { maxRecords: 2, maxBytes: ROOMY.maxBytes })).toBe(2);
      expect(
        copies.apply('a', 2, [record('alice@a', '5.txt', '5')], [], { maxRecords: 2, maxBytes: 1e9 }),
      ).toBe(2);
      const bytes = catalogRecordBytes(many[0] as FileRecord);
      expect(
        copies.replace(
          'b',
          1,
          many.map((r) => ({ ...r, owner: 'bob@b' })),
          { maxRecords: 9, maxBytes: 2 * bytes + 1 },
        ),
      ).toBe(2);
      expect(copies.parts().find((p) => p.node === 'b')?.bytes).toBeLessThanOrEqual(2 * bytes + 1);
    });

    it('finds every held record of a content, and forgets a dropped part', () => {
      const { copies } = setup();
      copies.replace('a', 1, [record('alice@a', 'x.txt', '9')], ROOMY);
      copies.replace('b', 1, [record('bob@b', 'y.txt', '9')], ROOMY);
      expect(names(copies.byId('9'.repeat(64)))).toEqual(['alice@a/x.txt', 'bob@b/y.txt']);
      copies.drop('a');
      copies.drop('a');
      expect(names(copies.byId('9'.repeat(64)))).toEqual(['bob@b/y.txt']);
      expect(copies.parts().map((p) => p.node)).toEqual(['b']);
    });

    it('keeps the held list of each node, replaced whole, found by id, forgotten with its part', () => {
      const { copies } = setup();
      const [x, y, z] = ['7', '8', '9'].map((d) => d.repeat(64)) as [string, string, string];
      copies.setHeld('b', [x, y]);
      copies.setHeld('a', [x]);
      expect(copies.holders(x)).toEqual(['a', 'b']);
      expect(copies.holders(z)).toEqual([]);
      copies.setHeld('b', [z]);
      expect(copies.holders(x)).toEqual(['a']);
      expect(copies.holders(y)).toEqual([]);
      expect(copies.holders(z)).toEqual(['b']);
      copies.drop('b');
      expect(copies.holders(z)).toEqual([]);
      expect(copies.holders(x)).toEqual(['a']);
    });

    it('a dropped part keeps, retained, the records of contents still held, until no holder is left', () => {
      const { copies } = setup();
      const [held, ours, gone] = ['7', '8', '9'];
      copies.replace(
        'a',
        1,
        [
          record('alice@a', 'held.txt', held),
          record('alice@a', 'ours.txt', ours),
          record('alice@a', 'gone.txt', gone),
        ],
        ROOMY,
      );
      copies.replace('b', 1, [], ROOMY);
      copies.setHeld('b', [held.repeat(64)]);
      expect(copies.retained()).toEqual([]);
      // A leaves: its part goes, but not what b holds nor what this node holds (`keep`).
      copies.drop('a', [ours.repeat(64)]);
      expect(copies.parts().map((p) => p.node)).toEqual(['b']);
      expect(copies.retained()).toEqual(['a']);
      expect(names(copies.byId(held.repeat(64)))).toEqual(['alice@a/held.txt']);
      expect(names(copies.byId(ours.repeat(64)))).toEqual(['alice@a/ours.txt']);
      expect(copies.byId(gone.repeat(64))).toEqual([]);
      expect(names(copies.search(['a'], { words: ['held'], limit: 5 }))).toEqual(['alice@a/held.txt']);
      // b no longer holds its copy: that record goes; this node still holds its own.
      copies.setHeld('b', []);
      copies.pruneRetained([ours.repeat(64)]);
      expect(copies.byId(held.repeat(64))).toEqual([]);
      expect(copies.retained()).toEqual(['a']);
      copies.pruneRetained([]);
      expect(copies.byId(ours.repeat(64))).toEqual([]);
      expect(copies.retained()).toEqual([]);
    });

    it('a node whose part comes back replaces its retained records', () => {
      const { copies } = setup();
      copies.replace('a', 1, [record('alice@a', 'old.txt', '7')], ROOMY);
      copies.drop('a', ['7'.repeat(64)]);
      expect(copies.retained()).toEqual(['a']);
      copies.replace('a', 5, [record('alice@a', 'new.txt', '8')], ROOMY);
      expect(copies.retained()).toEqual([]);
      expect(copies.byId('7'.repeat(64))).toEqual([]);
      expect(copies.parts().map((p) => [p.node, p.records])).toEqual([['a', 1]]);
    });

    it('refuses calls once closed', () => {
      const { copies } = setup();
      copies.close();
      expect(() => copies.parts()).toThrow();
      expect(() => copies.search(['a'], { limit: 1 })).toThrow();
    });

    it('keeps the parts, their versions and their search across a restart (durable adapters)', (context) => {
      const { copies, reopen } = setup();
      if (!reopen) return context.skip('only a durable adapter keeps copies across a restart');
      copies.replace('a', 10, [record('alice@a', 'Café menu.pdf', '1', 'lunch')], ROOMY);
      copies.apply('a', 11, [record('alice@a', 'dinner.pdf', '2')], [], ROOMY);
      const again = reopen();
      expect(again.parts().map((p) => [p.node, p.version, p.records])).toEqual([['a', 11, 2]]);
      expect(names(again.search(['a'], { words: ['cafe'], limit: 5 }))).toEqual(['alice@a/Café menu.pdf']);
      again.drop('a', ['2'.repeat(64)]);
      expect(reopen().retained()).toEqual(['a']);
    });
  });
}
