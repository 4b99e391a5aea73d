// `GET /files/catalog?since=` on the real Hono app over a memory node: only what changed after the version the
// caller holds, or the whole catalog flagged `full` when the node cannot say; and the holder's bounded tombstones.
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SqliteFileCatalog } from '../../src/adapters/storage/sqlite-file-catalog.js';
import { VersionedFileCatalog } from '../../src/application/files/versioned-catalog.js';
import type { FileRecord } from '../../src/domain/file-record.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { memoryHttpApp } from '../support/http-app.js';

const PASSWORD = 'correct horse battery';

interface CatalogBody {
  files: FileRecord[];
  full?: true;
  since?: number;
  removed?: { id: string; owner: string }[];
}

async function setup() {
  const fixture = await memoryHttpApp();
  await fixture.accounts.register.execute({ name: 'alice', password: PASSWORD });
  const { token } = await fixture.accounts.login.execute({ name: 'alice', password: PASSWORD });
  const publish = async (name: string, text: string) => {
    const response = await fixture.app.request(`/files?name=${encodeURIComponent(name)}`, {
      method: 'POST',
      body: text,
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(201);
    return ((await response.json()) as { file: FileRecord }).file;
  };
  const remove = async (id: string) => {
    const response = await fixture.app.request(`/files/${id}`, {
      method: 'DELETE',
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(200);
  };
  const catalog = async (query = '') => {
    const response = await fixture.app.request(`/files/catalog${query}`);
    expect(response.status).toBe(200);
    const version = Number(response.headers.get('meshchat-catalog-version'));
    return { version, body: (await response.json()) as CatalogBody };
  };
  return { ...fixture, publish, remove, catalog };
}

describe('GET /files/catalog?since=', () => {
  it('answers only the records added and the tombstones of those removed after since', async () => {
    const t = await setup();
    const kept = await t.publish('kept.txt', 'kept');
    const gone = await t.publish('gone.txt', 'gone');
    const before = await t.catalog();
    expect(before.body.full).toBe(true);
    expect(before.body.files.map((f) => f.name).sort()).toEqual(['gone.txt', 'kept.txt']);

    await t.clock.advance(10);
    const added = await t.publish('added.txt', 'added');
    await t.remove(gone.id);
    const diff = await t.catalog(`?since=${before.version}`);
    expect(diff.version).toBeGreaterThan(before.version);
    expect(diff.body).toEqual({
      files: [added],
      removed: [{ id: gone.id, owner: 'alice@a' }],
      since: before.version,
      held: [],
    });
    // Nothing changed after the newest version: an empty difference.
    expect((await t.catalog(`?since=${diff.version}`)).body).toEqual({
      files: [],
      removed: [],
      since: diff.version,
      held: [],
    });
    expect(kept.name).toBe('kept.txt');
  });

  it('answers the whole catalog, full, for a since it cannot answer', async () => {
    const t = await setup();
    await t.publish('one.txt', 'one');
    const { version } = await t.catalog();
    // The node started at version - 1 (one publish since, on a clock that did not move): anything before it, or
    // ahead of its version, cannot be answered as a difference.
    for (const since of [0, version - 2, version + 1_000])
      expect((await t.catalog(`?since=${since}`)).body).toMatchObject({
        full: true,
        files: [{ name: 'one.txt' }],
      });
    expect((await t.catalog(`?since=${version - 1}`)).body).not.toHaveProperty('full');
  });

  it('refuses a since that is not a version', async () => {
    const t = await setup();
    for (const bad of ['abc', '-1', '1.5', '12345678901234567'])
      expect((await t.app.request(`/files/catalog?since=${bad}`)).status).toBe(400);
    const response = await t.app.request('/files/catalog?since=x');
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('invalid_since');
  });
});

describe('the holder keeps a bounded number of tombstones', () => {
  function record(digit: string): FileRecord {
    return {
      id: digit.repeat(64),
      name: `${digit}.txt`,
      description: '',
      size: 0,
      type: 'text/plain',
      owner: 'alice@a',
      publishedAt: '2026-01-01T00:00:00.000Z',
      chunkSize: 1024 * 1024,
      chunks: [],
    };
  }

  it('a since older than the oldest kept tombstone gets no difference', () => {
    const clock = new FakeClock();
    const own = new VersionedFileCatalog(
      new SqliteFileCatalog(new Database(':memory:'), { ownsDb: true }),
      clock,
      2,
    );
    for (const d of ['1', '2', '3']) own.add(record(d));
    const afterAdds = own.version;
    for (const d of ['1', '2']) own.remove(d.repeat(64), 'alice@a');
    // Two tombstones fit: a difference from before the deletes is still possible.
    expect(own.changesSince(afterAdds, 10)?.removed).toHaveLength(2);
    own.remove('3'.repeat(64), 'alice@a');
    // The first tombstone went: only versions from its delete on can be answered.
    expect(own.changesSince(afterAdds, 10)).toBeUndefined();
    expect(own.changesSince(afterAdds + 1, 10)?.removed.map((r) => r.id[0])).toEqual(['2', '3']);
    own.close();
  });

  it('a re-published record lifts its tombstone, and more changes than one answer holds give none', () => {
    const clock = new FakeClock();
    const own = new VersionedFileCatalog(
      new SqliteFileCatalog(new Database(':memory:'), { ownsDb: true }),
      clock,
    );
    const start = own.version;
    own.add(record('1'));
    own.remove('1'.repeat(64), 'alice@a');
    own.add(record('1'));
    expect(own.changesSince(start, 10)).toEqual({ files: [record('1')], removed: [] });
    own.add(record('2'));
    expect(own.changesSince(start, 1)).toBeUndefined();
    own.close();
  });

  it('a held copy moves the version and is listed most recently used first; dropping it moves it again', () => {
    const clock = new FakeClock();
    const own = new VersionedFileCatalog(
      new SqliteFileCatalog(new Database(':memory:'), { ownsDb: true }),
      clock,
    );
    const start = own.version;
    own.markHeld('1'.repeat(64));
    const once = own.version;
    expect(once).toBeGreaterThan(start);
    own.markHeld('1'.repeat(64));
    expect(own.version).toBe(once);
    // Nothing in the records changed: a difference from before is empty but possible.
    expect(own.changesSince(start, 10)).toEqual({ files: [], removed: [] });
    own.markHeld('2'.repeat(64));
    expect(own.held()).toEqual(['2'.repeat(64), '1'.repeat(64)]);
    // Served again: first in the list, the version stays (the set is the same). The count and byte limits are
    // `HeldCopyBudget`'s (test/unit/files-held-budget.test.ts), which evicts bytes and all.
    const before = own.version;
    own.touchHeld('1'.repeat(64));
    expect(own.held()).toEqual(['1'.repeat(64), '2'.repeat(64)]);
    expect(own.heldByUse()).toEqual(['2'.repeat(64), '1'.repeat(64)]);
    expect(own.version).toBe(before);
    own.dropHeld('2'.repeat(64));
    expect(own.held()).toEqual(['1'.repeat(64)]);
    expect(own.version).toBeGreaterThan(before);
    own.close();
  });
});
