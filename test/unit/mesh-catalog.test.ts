import Database from 'better-sqlite3';
import { describe, expect, it, vi } from 'vitest';
import { SqliteCatalogCopies } from '../../src/adapters/storage/sqlite-catalog-copies.js';
import { catalogSettings } from '../../src/application/files/catalog-settings.js';
import { MeshCatalog } from '../../src/application/files/mesh-catalog.js';
import { MEMBERSHIP_PROFILES } from '../../src/application/membership/settings.js';
import type { CatalogCopies } from '../../src/application/ports/files/catalog-copies.js';
import type { CatalogAnswer, PeerClient } from '../../src/application/ports/peer-client.js';
import { ownedFileRecords, replacesPart } from '../../src/domain/catalog.js';
import type { FileRecord } from '../../src/domain/file-record.js';
import { nodeRecord } from '../../src/domain/node-record.js';
import { PeerRegistry } from '../../src/domain/peer-registry.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { InMemoryCatalogCopies } from '../fakes/in-memory-catalog-copies.js';

const SETTINGS = catalogSettings(MEMBERSHIP_PROFILES.lan);

function record(owner: string, name: string, digit = '0', description = ''): FileRecord {
  return {
    id: digit.repeat(64),
    name,
    description,
    size: 0,
    type: 'text/plain',
    owner,
    publishedAt: '2026-01-01T00:00:00.000Z',
    chunkSize: 1024 * 1024,
    chunks: [],
  };
}

/** The two stores the engine runs on: the fake, and SQLite in memory. */
const STORES: ReadonlyArray<readonly [string, () => CatalogCopies]> = [
  ['InMemoryCatalogCopies', () => new InMemoryCatalogCopies()],
  ['SqliteCatalogCopies', () => new SqliteCatalogCopies(new Database(':memory:'), { ownsDb: true })],
];

/**
 * Node `c` with members `a` and `b`, whose catalogs the test sets; counts the pulls each gets and records the
 * `since` each pull sent.
 */
function setup(copies: CatalogCopies = new InMemoryCatalogCopies(), clock = new FakeClock()) {
  const registry = new PeerRegistry(nodeRecord('c', 'http://127.0.0.1:3003'));
  const answers = new Map<string, CatalogAnswer | 'hang'>();
  const pulls = new Map<string, number>();
  const sinces: Array<number | undefined> = [];
  for (const [id, port] of [
    ['a', 3001],
    ['b', 3002],
  ] as const) {
    registry.announce({ ...nodeRecord(id, `http://127.0.0.1:${port}`), incarnation: 1 });
  }
  const idOf = (url: string) => (url.endsWith('3001') ? 'a' : 'b');
  const peers = {
    listCatalog: (url: string, options: { since?: number } = {}) => {
      const id = idOf(url);
      pulls.set(id, (pulls.get(id) ?? 0) + 1);
      sinces.push(options.since);
      const answer = answers.get(id) ?? { files: [], version: 0 };
      return answer === 'hang' ? new Promise(() => {}) : Promise.resolve(answer);
    },
  } as unknown as PeerClient;
  const own = { version: clock.now(), list: () => [] as FileRecord[], changesSince: () => undefined };
  const catalog = new MeshCatalog({ registry, peers, clock, own, copies }, SETTINGS);
  /** A gossip round's list as `from` (a by default) gives it: each node alive at a catalog version. */
  const gossip = (versions: Record<string, number>, from = 'a') => {
    const reports = Object.entries(versions).map(([id, catalog]) => ({
      ...(registry.get(id) ?? nodeRecord(id, 'http://127.0.0.1:1')),
      state: 'alive' as const,
      catalog,
    }));
    catalog.viewMerged(registry.get(from) ?? registry.self, reports);
  };
  const all = () =>
    catalog
      .mesh({ limit: 500 })
      .files.map((f) => `${f.owner}/${f.name}`)
      .sort();
  return { clock, registry, answers, pulls, sinces, catalog, copies, gossip, all };
}

describe('the mesh catalog merge rules', () => {
  it('a part replaces the copy only at a version at least as new (a delete is not undone)', () => {
    const newer = { version: 6, files: [] };
    const stale = { version: 5, files: [record('alice@a', 'x.txt')] };
    expect(replacesPart(undefined, stale)).toBe(true);
    expect(replacesPart(newer, stale)).toBe(false);
    expect(replacesPart(stale, newer)).toBe(true);
  });

  it('keeps only records owned by name@<that node>, re-checked, one per owner and id, at most max', () => {
    const good = record('Alice@a', 'ok.txt');
    const kept = ownedFileRecords(
      'a',
      [
        good,
        record('mallory@b', 'foreign.txt', '1'),
        record('alice@a', '../evil', '2'),
        { ...record('alice@a', 'bad-chunks', '3'), size: 5 },
        { ...record('alice@a', 'bad-id'), id: 'nothex' },
        record('alice@a', 'ok-again.txt'),
        'not an object',
        record('bob@a', 'b1.txt', '4'),
        record('bob@a', 'b2.txt', '5'),
      ],
      2,
    );
    expect(kept.map((r) => `${r.owner}/${r.name}`)).toEqual(['alice@a/ok.txt', 'bob@a/b1.txt']);
  });

  it('refuses a description over the domain limit', () => {
    const long = record('alice@a', 'long.txt', '0', 'x'.repeat(5000));
    expect(ownedFileRecords('a', [long], 10)).toEqual([]);
  });
});

describe.each(STORES)('the mesh catalog engine on %s', (_name, store) => {
  it('pulls a node once when its version differs, and never while versions agree', async () => {
    const t = setup(store());
    t.answers.set('a', { files: [record('alice@a', 'notes.txt', '0', 'meeting notes')], version: 10 });
    t.gossip({ a: 10 });
    await vi.waitFor(() => expect(t.all()).toEqual(['alice@a/notes.txt']), { timeout: 2_000 });
    for (let i = 0; i < 5; i++) t.gossip({ a: 10 });
    expect(t.pulls.get('a')).toBe(1);
    expect(t.catalog.mesh({ limit: 10, words: ['meet'] }).files).toHaveLength(1);
    expect(t.catalog.mesh({ limit: 10, words: ['nothing'] }).files).toHaveLength(0);
    expect(t.catalog.versionOf('a')).toBe(10);
  });

  it('locates a file at its publisher and at every node whose held list names it; bad ids are dropped', async () => {
    const t = setup(store());
    const id = '7'.repeat(64);
    t.answers.set('a', { files: [record('alice@a', 'x.bin', '7')], version: 10 });
    t.answers.set('b', { files: [], version: 20, held: [id, 'not-an-id', 42, 'A'.repeat(64)] });
    t.gossip({ a: 10, b: 20 });
    await vi.waitFor(() => expect(t.catalog.locate(id)?.holders).toEqual(['a', 'b']), { timeout: 2_000 });
    expect(t.catalog.locate(id)?.record.name).toBe('x.bin');
    expect(t.copies.holders('A'.repeat(64))).toEqual([]);
    // A difference carries the whole held list too; one without `held` (an older node) leaves it as it was.
    t.answers.set('b', { files: [], version: 21, since: 20, removed: [], held: [] });
    t.gossip({ b: 21 });
    await vi.waitFor(() => expect(t.catalog.locate(id)?.holders).toEqual(['a']), { timeout: 2_000 });
    t.answers.set('b', { files: [], version: 22, since: 21, removed: [], held: [id] });
    t.gossip({ b: 22 });
    await vi.waitFor(() => expect(t.catalog.locate(id)?.holders).toEqual(['a', 'b']), { timeout: 2_000 });
    t.answers.set('b', { files: [], version: 23, since: 22, removed: [] });
    t.gossip({ b: 23 });
    await vi.waitFor(() => expect(t.catalog.versionOf('b')).toBe(23), { timeout: 2_000 });
    expect(t.catalog.locate(id)?.holders).toEqual(['a', 'b']);
    // A held id with no record anywhere cannot be located: there is nothing to check its bytes against.
    expect(t.catalog.locate('8'.repeat(64))).toBeUndefined();
  });

  it('concurrent publish on one node and delete on another converge', async () => {
    const t = setup(store());
    t.answers.set('a', { files: [record('alice@a', 'shared.txt', '7')], version: 10 });
    t.answers.set('b', { files: [record('bob@b', 'shared.txt', '7')], version: 20 });
    t.gossip({ a: 10, b: 20 });
    await vi.waitFor(() => expect(t.all()).toEqual(['alice@a/shared.txt', 'bob@b/shared.txt']));
    // At once: a deletes its record of the content, b publishes another file.
    t.answers.set('a', { files: [], version: 11 });
    t.answers.set('b', {
      files: [record('bob@b', 'shared.txt', '7'), record('bob@b', 'new.txt', '8')],
      version: 21,
    });
    t.gossip({ a: 11, b: 21 });
    await vi.waitFor(() => expect(t.all()).toEqual(['bob@b/new.txt', 'bob@b/shared.txt']));
  });

  it('a tombstone wins: a stale answer after the delete does not bring the record back', async () => {
    const t = setup(store());
    t.answers.set('a', { files: [], version: 12 });
    t.gossip({ a: 12 });
    await vi.waitFor(() => expect(t.pulls.get('a')).toBe(1));
    // Gossip from a lagging peer says 11, and a replayed answer at 11 still holds the deleted record.
    t.answers.set('a', { files: [record('alice@a', 'deleted.txt')], version: 11 });
    t.gossip({ a: 11 });
    t.catalog.viewMerged(t.registry.get('b') ?? t.registry.self, [
      { ...nodeRecord('a', 'http://127.0.0.1:3001'), state: 'alive', catalog: 11 },
    ]);
    await vi.waitFor(() => expect(t.pulls.get('a')).toBe(2));
    expect(t.all()).toEqual([]);
  });

  it("a hostile peer's foreign-owner records and records beyond the cap are refused", async () => {
    const t = setup(store());
    const many = Array.from({ length: SETTINGS.maxRecordsPerNode + 5 }, (_, i) => ({
      ...record('alice@a', `f${i}.txt`),
      id: i.toString(16).padStart(64, '0'),
    }));
    t.answers.set('a', { files: [record('bob@b', 'forged.txt', 'f'), ...many], version: 10 });
    t.gossip({ a: 10 });
    await vi.waitFor(() => expect(t.pulls.get('a')).toBe(1));
    const files = t.catalog.mesh({ limit: 500, owner: 'bob@b' }).files;
    expect(files).toEqual([]);
    expect(t.catalog.mesh({ limit: 5_000 }).files).toHaveLength(SETTINGS.maxRecordsPerNode);
  });

  it('a version more than a day ahead of the clock is ignored: no pull, the node is not listed', () => {
    const t = setup(store());
    t.gossip({ a: t.clock.now() + 2 * 24 * 60 * 60_000 });
    expect(t.pulls.get('a')).toBeUndefined();
    expect(t.catalog.mesh({ limit: 9 })).toMatchObject({ answered: ['c'], missing: [] });
  });

  it('a node not confirmed within the staleness bound is missing', async () => {
    const t = setup(store());
    t.answers.set('a', { files: [record('alice@a', 'n.txt')], version: 10 });
    t.gossip({ a: 10 });
    await vi.waitFor(() => expect(t.catalog.mesh({ limit: 9 }).answered).toEqual(['c', 'a']));
    await t.clock.advance(SETTINGS.staleAfterMs + 1);
    expect(t.catalog.mesh({ limit: 9 })).toMatchObject({ answered: ['c'], missing: ['a'] });
    t.gossip({ a: 10 });
    expect(t.catalog.mesh({ limit: 9 })).toMatchObject({ answered: ['c', 'a'], missing: [] });
  });

  it('pulls only the difference: sends the held version, applies added records and tombstones', async () => {
    const t = setup(store());
    t.answers.set('a', {
      files: [record('alice@a', 'keep.txt', '1', 'kept'), record('alice@a', 'gone.txt', '2')],
      version: 10,
      full: true,
    });
    t.gossip({ a: 10 });
    await vi.waitFor(() => expect(t.all()).toEqual(['alice@a/gone.txt', 'alice@a/keep.txt']));
    t.answers.set('a', {
      files: [record('alice@a', 'new.txt', '3', 'fresh words')],
      removed: [
        { id: '2'.repeat(64), owner: 'alice@a' },
        { id: '1'.repeat(64), owner: 'mallory@b' },
      ],
      since: 10,
      version: 12,
    });
    t.gossip({ a: 12 });
    await vi.waitFor(() => expect(t.all()).toEqual(['alice@a/keep.txt', 'alice@a/new.txt']));
    expect(t.sinces).toEqual([undefined, 10]);
    expect(t.catalog.mesh({ limit: 9, words: ['fresh'] }).files.map((f) => f.name)).toEqual(['new.txt']);
    expect(t.catalog.byId('1'.repeat(64)).map((f) => f.owner)).toEqual(['alice@a']);
  });

  it('an answer that does not echo since (an older node) replaces the copy whole', async () => {
    const t = setup(store());
    t.answers.set('a', { files: [record('alice@a', 'old.txt', '1')], version: 10 });
    t.gossip({ a: 10 });
    await vi.waitFor(() => expect(t.all()).toEqual(['alice@a/old.txt']));
    // It ignored `since`: its whole list, without old.txt.
    t.answers.set('a', { files: [record('alice@a', 'other.txt', '2')], version: 11 });
    t.gossip({ a: 11 });
    await vi.waitFor(() => expect(t.all()).toEqual(['alice@a/other.txt']));
    expect(t.sinces).toEqual([undefined, 10]);
  });

  it('a difference whose since is not the held version is read as a whole part', async () => {
    const t = setup(store());
    t.answers.set('a', { files: [record('alice@a', 'one.txt', '1')], version: 10 });
    t.gossip({ a: 10 });
    await vi.waitFor(() => expect(t.all()).toEqual(['alice@a/one.txt']));
    t.answers.set('a', { files: [record('alice@a', 'two.txt', '2')], removed: [], since: 9, version: 11 });
    t.gossip({ a: 11 });
    await vi.waitFor(() => expect(t.all()).toEqual(['alice@a/two.txt']));
  });

  it('names a node whose copy is behind its advertised version as stale, and still gives its records', async () => {
    const t = setup(store());
    t.answers.set('a', { files: [record('alice@a', 'n.txt', '1', 'notes')], version: 10 });
    t.gossip({ a: 10 });
    await vi.waitFor(() => expect(t.catalog.mesh({ limit: 9 }).answered).toEqual(['c', 'a']));
    // The pull of the newer version hangs: the copy stays at 10 while gossip says 11.
    t.answers.set('a', 'hang');
    t.gossip({ a: 11 });
    expect(t.pulls.get('a')).toBe(2);
    const view = t.catalog.mesh({ limit: 9, words: ['notes'] });
    expect(view).toMatchObject({ answered: ['c'], missing: ['a'], stale: ['a'] });
    expect(view.files.map((f) => f.name)).toEqual(['n.txt']);
  });

  it('keeps a bounded part: records per node and bytes per node', async () => {
    const t = setup(store());
    const big = (i: number) => ({
      ...record('alice@a', `big${i}.bin`),
      id: i.toString(16).padStart(64, '0'),
      size: 40_000 * 1024 * 1024,
      chunks: Array.from({ length: 40_000 }, () => 'ab'.repeat(32)),
    });
    // Each record holds 40,000 chunk hashes (about 1.2 MiB kept): four of them pass the part's 4 MiB.
    t.answers.set('a', { files: [big(1), big(2), big(3), big(4)], version: 10 });
    t.gossip({ a: 10 });
    await vi.waitFor(() => expect(t.pulls.get('a')).toBe(1));
    await vi.waitFor(() => expect(t.copies.parts()).toHaveLength(1));
    const [part] = t.copies.parts();
    expect(part?.records).toBe(3);
    expect(part?.bytes).toBeLessThanOrEqual(4 * 1024 * 1024);
  });
});

describe.each(STORES)('a restarted node on %s', (_name, store) => {
  it('keeps its copies and their versions: the same version gossiped again pulls nothing', async () => {
    const copies = store();
    const first = setup(copies);
    first.answers.set('a', { files: [record('alice@a', 'kept.txt', '1', 'holiday')], version: 10 });
    first.gossip({ a: 10 });
    await vi.waitFor(() => expect(first.all()).toEqual(['alice@a/kept.txt']));
    first.catalog.stop();

    // A new engine on the same store, as after a restart, at a later time.
    const clock = new FakeClock(first.clock.now() + 60_000);
    const second = setup(copies, clock);
    expect(second.catalog.mesh({ limit: 9, words: ['holi'] })).toMatchObject({
      answered: ['c'],
      missing: ['a'],
      stale: ['a'],
    });
    expect(second.catalog.mesh({ limit: 9, words: ['holi'] }).files.map((f) => f.name)).toEqual(['kept.txt']);
    second.gossip({ a: 10 });
    expect(second.catalog.mesh({ limit: 9, words: ['holi'] })).toMatchObject({
      answered: ['c', 'a'],
      missing: [],
      stale: [],
    });
    expect(second.pulls.get('a')).toBeUndefined();
    // A newer version is then pulled as a difference from the remembered one.
    second.answers.set('a', {
      files: [],
      removed: [{ id: '1'.repeat(64), owner: 'alice@a' }],
      since: 10,
      version: 11,
    });
    second.gossip({ a: 11 });
    await vi.waitFor(() => expect(second.all()).toEqual([]));
    expect(second.sinces).toEqual([10]);
  });

  it("takes another node's older word for a kept copy as old news: no pull, until the node itself says more", async () => {
    const copies = store();
    const first = setup(copies);
    first.answers.set('a', { files: [record('alice@a', 'kept.txt', '1', 'holiday')], version: 10 });
    first.gossip({ a: 10 });
    await vi.waitFor(() => expect(first.all()).toEqual(['alice@a/kept.txt']));
    first.catalog.stop();

    const second = setup(copies, new FakeClock(first.clock.now() + 60_000));
    // b, behind on a's catalog, gossips an older version of it first: the kept copy is newer, nothing to pull.
    second.gossip({ a: 9 }, 'b');
    second.gossip({ a: 9 }, 'b');
    expect(second.pulls.get('a')).toBeUndefined();
    expect(second.catalog.mesh({ limit: 9, words: ['holi'] }).stale).toEqual(['a']);
    // a's own word confirms the copy, still with no pull.
    second.gossip({ a: 10 });
    expect(second.catalog.mesh({ limit: 9, words: ['holi'] })).toMatchObject({ missing: [], stale: [] });
    expect(second.pulls.get('a')).toBeUndefined();
  });
});
