import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryMessageStore } from '../../src/adapters/storage/memory-message-store.js';
import type { MessageStoreSettings } from '../../src/adapters/storage/message-store-settings.js';
import { DATABASE_FILE, openDatabase } from '../../src/adapters/storage/open-database.js';
import { SqliteMembershipStore } from '../../src/adapters/storage/sqlite-membership-store.js';
import { SqliteMessageStore } from '../../src/adapters/storage/sqlite-message-store.js';
import type { ChatMessage } from '../../src/domain/message.js';
import { describeMessageStoreContract } from './message-store-contract.js';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshchat-messages-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describeMessageStoreContract('MemoryMessageStore', async (settings) => ({
  store: new MemoryMessageStore(settings),
}));

describeMessageStoreContract('SqliteMessageStore', async (settings) => {
  const dir = tempDir();
  let store = new SqliteMessageStore(openDatabase(dir), settings);
  return {
    store,
    reopen: async () => {
      await store.close();
      store = new SqliteMessageStore(openDatabase(dir), settings);
      return store;
    },
  };
});

const SETTINGS: MessageStoreSettings = { historySize: 100, dedupWindowMs: 3_600_000 };
const message = (id: string): ChatMessage => ({
  id,
  from: 'a',
  to: 'me',
  msg: id,
  ts: '2026-01-01T00:00:00.000Z',
});
const toB = (id: string) => ({
  node: 'b',
  url: 'http://b',
  message: message(id),
  expiresAt: 1,
  notify: true,
});

/**
 * Transactions committed to a WAL file so far: frames of the current WAL generation that end a commit (a frame
 * header's "database size after commit" is set only on the last frame of a transaction). Holds while nothing
 * checkpoints, so the store's connection must run with `wal_autocheckpoint = 0`.
 */
function walCommits(walFile: string): number {
  const wal = readFileSync(walFile);
  if (wal.length < 32) return 0;
  const pageSize = wal.readUInt32BE(8);
  const salts = [wal.readUInt32BE(16), wal.readUInt32BE(20)];
  let commits = 0;
  for (let at = 32; at + 24 + pageSize <= wal.length; at += 24 + pageSize) {
    if (wal.readUInt32BE(at + 8) !== salts[0] || wal.readUInt32BE(at + 12) !== salts[1]) break;
    if (wal.readUInt32BE(at + 4) !== 0) commits++;
  }
  return commits;
}

describe('SqliteMessageStore: batches and failures', () => {
  it('commits the writes called in one turn in one transaction, and resolves each only once it is on disk', async () => {
    const dir = tempDir();
    const db = openDatabase(dir);
    db.pragma('wal_autocheckpoint = 0');
    const store = new SqliteMessageStore(db, SETTINGS);
    const reader = new Database(join(dir, DATABASE_FILE), { readonly: true });
    const rowsOnDisk = reader
      .prepare<[], number>(
        'SELECT (SELECT count(*) FROM seen_ids) + (SELECT count(*) FROM history) + (SELECT count(*) FROM outbox)',
      )
      .pluck();
    const commits = () => walCommits(join(dir, `${DATABASE_FILE}-wal`));
    try {
      const before = commits();
      let onDiskWhenResolved = -1;
      const writes = [
        store.accept(message('a'), 0).then((entry) => {
          onDiskWhenResolved = rowsOnDisk.get() as number;
          return entry;
        }),
        store.accept(message('b'), 0),
        store.enqueue([toB('c')], { outgoing: message('c') }),
        store.setStatus('a', 'delivered'),
        store.settle([12_345]),
      ];
      expect(rowsOnDisk.get()).toBe(0);
      await Promise.all(writes);
      // 2 seen ids, 3 history entries, 1 outbox entry.
      expect(onDiskWhenResolved).toBe(6);
      expect(commits() - before).toBe(1);
      // The same kind of writes over two turns are two transactions.
      await store.accept(message('d'), 0);
      await store.accept(message('e'), 0);
      expect(commits() - before).toBe(3);
    } finally {
      reader.close();
      await store.close();
    }
  });

  it('a commit that fails rejects every write of its batch, and reads show what is on disk again', async () => {
    const db = openDatabase(tempDir());
    const store = new SqliteMessageStore(db, SETTINGS);
    try {
      const kept = await store.accept(message('kept'), 0);
      const { entries: queued } = await store.enqueue([toB('q')]);
      db.pragma('query_only = ON');
      const writes = [
        store.accept(message('lost'), 0),
        store.accept(message('lost'), 0),
        store.enqueue([toB('r')], { outgoing: message('r') }),
        store.settle(queued.map((e) => e.key)),
        store.setStatus('kept', 'delivered'),
      ];
      expect(store.seen('lost')).toBe(true);
      expect(store.pending().map((e) => e.message.id)).toEqual(['r']);
      const outcomes = await Promise.allSettled(writes);
      expect(outcomes.map((o) => o.status)).toEqual(Array(5).fill('rejected'));
      expect(String((outcomes[0] as PromiseRejectedResult).reason)).toMatch(/readonly/);
      expect(store.seen('lost')).toBe(false);
      expect(store.history()).toEqual([kept]);
      expect(store.pending()).toEqual(queued);

      db.pragma('query_only = OFF');
      const again = await store.accept(message('lost'), 0);
      expect(again?.seq).toBeGreaterThan(kept?.seq as number);
      expect(store.history().map((e) => e.id)).toEqual(['kept', 'lost']);
      const [next] = (await store.enqueue([toB('s')])).entries;
      // The failed batch's key is not handed out again.
      expect(next?.key).toBe((queued[0]?.key as number) + 2);
    } finally {
      await store.close();
    }
  });

  it('writes on a connection closed underneath it reject instead of throwing', async () => {
    const db = openDatabase(tempDir());
    const store = new SqliteMessageStore(db, SETTINGS);
    await store.accept(message('a'), 0);
    db.close();
    await expect(store.accept(message('b'), 0)).rejects.toThrow(/not open/);
    await expect(store.setStatus('a', 'failed')).rejects.toThrow(/not open/);
    await expect(store.enqueue([toB('c')])).rejects.toThrow(/not open/);
    await expect(store.settle([1])).resolves.toBeUndefined();
    await store.close();
  });

  it('answers de-duplication and lookups exactly past the capacity of its id filters, and after a reopen', async () => {
    const dir = tempDir();
    const settings = { historySize: 20, dedupWindowMs: 3_600_000, maxSeenIds: 50 };
    let store = new SqliteMessageStore(openDatabase(dir), settings);
    try {
      for (let round = 0; round < 2; round++) {
        for (let n = 0; n < 300; n++) {
          const id = `m${round}-${n}`;
          expect(await store.accept(message(id), 0)).toBeDefined();
          // Every id still kept is known a duplicate: the newest `maxSeenIds` of them.
          if (n >= 60) expect(await store.accept(message(`m${round}-${n - 49}`), 0)).toBeUndefined();
        }
        // History's newest entries are found by id (a status change), the older ones are gone.
        expect(await store.setStatus(`m${round}-299`, 'delivered')).toMatchObject({ status: 'delivered' });
        expect(await store.setStatus(`m${round}-280`, 'delivered')).toMatchObject({ status: 'delivered' });
        expect(await store.setStatus(`m${round}-200`, 'delivered')).toBeUndefined();
        await store.close();
        store = new SqliteMessageStore(openDatabase(dir), settings);
        expect(store.seen(`m${round}-299`)).toBe(true);
        expect(store.seen(`m${round}-251`)).toBe(true);
        expect(await store.accept(message(`m${round}-260`), 0)).toBeUndefined();
        expect(await store.setStatus(`m${round}-285`, 'failed')).toMatchObject({ status: 'failed' });
      }
    } finally {
      await store.close();
    }
  });

  it('shares the node database file with the membership store, each closing only what it owns', async () => {
    const dir = tempDir();
    const db = openDatabase(dir);
    const membership = new SqliteMembershipStore(db, { ownsDb: false });
    const messages = new SqliteMessageStore(db, SETTINGS, { ownsDb: false });
    membership.save({ incarnation: 2, nodes: [{ id: 'b', url: 'http://b' }] });
    const [entry] = (await messages.enqueue([toB('x')])).entries;
    await messages.close();
    membership.close();
    expect(db.open).toBe(true);
    db.close();

    const again = openDatabase(dir);
    expect(new SqliteMembershipStore(again, { ownsDb: false }).load()?.incarnation).toBe(2);
    const reopened = new SqliteMessageStore(again, SETTINGS);
    expect(reopened.pending()).toEqual([entry]);
    await reopened.close();
    expect(again.open).toBe(false);
  });
});
