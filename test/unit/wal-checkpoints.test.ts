import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DATABASE_FILE, openDatabase, openNodeDatabase } from '../../src/adapters/storage/open-database.js';
import { WalCheckpoints } from '../../src/adapters/storage/wal-checkpoints.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'meshchat-wal-'));
  dirs.push(dir);
  return dir;
}

describe('WAL checkpoints on a worker thread', () => {
  it('copies committed pages into the database file without a checkpoint on the node connection', async () => {
    const dir = dataDir();
    const database = openNodeDatabase(dir);
    const { db } = database;
    // Once the thread is up, the node's connection no longer checkpoints on its own.
    await vi.waitFor(() => expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0), {
      timeout: 5_000,
    });
    const file = join(dir, DATABASE_FILE);
    const before = statSync(file).size;
    db.exec('CREATE TABLE blobs (b BLOB)');
    const insert = db.prepare('INSERT INTO blobs VALUES (?)');
    // About 1 MiB in one commit: far below SQLite's own threshold (1,000 pages), so only the thread's
    // checkpoint can bring it from the WAL into the database file.
    db.transaction(() => {
      for (let i = 0; i < 256; i++) insert.run(Buffer.alloc(4096, i));
    })();
    await vi.waitFor(() => expect(statSync(file).size).toBeGreaterThan(before + 1024 * 1024), {
      timeout: 5_000,
    });
    expect(db.prepare('SELECT count(*) AS n FROM blobs').get()).toEqual({ n: 256 });
    await database.close();
    // The node's connection closed last: it ran the final checkpoint and removed the WAL, as without the thread.
    expect(existsSync(`${file}-wal`)).toBe(false);
  });

  it('gives checkpointing back to the node connection when the thread stops', async () => {
    const db = openDatabase(dataDir());
    const checkpoints = WalCheckpoints.start(db);
    await vi.waitFor(() => expect(checkpoints.running).toBe(true), { timeout: 5_000 });
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    await checkpoints.stop();
    expect(checkpoints.running).toBe(false);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    await checkpoints.stop(); // a second stop is harmless
    db.close();
  });
});
