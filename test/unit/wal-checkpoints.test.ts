import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
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

const autocheckpoint = (db: Database.Database) => db.pragma('wal_autocheckpoint', { simple: true });

describe('WAL checkpoints on a worker thread', () => {
  it('once the node writes a lot, copies committed pages into the database file off its connection', async () => {
    const dir = dataDir();
    const database = openNodeDatabase(dir);
    const { db } = database;
    const file = join(dir, DATABASE_FILE);
    const before = statSync(file).size;
    db.exec('CREATE TABLE blobs (b BLOB)');
    const insert = db.prepare('INSERT INTO blobs VALUES (?)');
    // 256 rows, about 1 MiB, in one commit: busy enough to start the thread, and far below SQLite's own
    // checkpoint threshold (1,000 pages), so only the thread can bring it from the WAL into the database file.
    db.transaction(() => {
      for (let i = 0; i < 256; i++) insert.run(Buffer.alloc(4096, i));
    })();
    await vi.waitFor(() => expect(autocheckpoint(db)).toBe(0), { timeout: 5_000 });
    await vi.waitFor(() => expect(statSync(file).size).toBeGreaterThan(before + 1024 * 1024), {
      timeout: 5_000,
    });
    expect(db.prepare('SELECT count(*) AS n FROM blobs').get()).toEqual({ n: 256 });
    await database.close();
    // The node's connection closed last: it ran the final checkpoint and removed the WAL, as without the thread.
    expect(existsSync(`${file}-wal`)).toBe(false);
  });

  it('gives checkpointing back to the node connection when stopped', async () => {
    const db = openDatabase(dataDir());
    const checkpoints = WalCheckpoints.start(db, { busyRows: 0, sampleMs: 20 });
    await vi.waitFor(() => expect(checkpoints.running).toBe(true), { timeout: 5_000 });
    expect(autocheckpoint(db)).toBe(0);
    await checkpoints.stop();
    expect(checkpoints.running).toBe(false);
    expect(autocheckpoint(db)).toBe(1000);
    await checkpoints.stop(); // a second stop is harmless
    db.close();
  });

  it('stops the thread after a quiet spell, and starts it again when writes come back', async () => {
    const db = openDatabase(dataDir());
    db.exec('CREATE TABLE t (x)');
    const checkpoints = WalCheckpoints.start(db, { busyRows: 1, sampleMs: 20, idleStopMs: 100 });
    const insert = db.prepare('INSERT INTO t VALUES (?)');
    // Writes go on until the thread is up: on a loaded machine a worker can take longer to start than the
    // quiet spell that stops it, and a thread stopped before it was up never runs.
    const busyUntilRunning = () =>
      vi.waitFor(
        () => {
          insert.run(Date.now());
          expect(checkpoints.running).toBe(true);
        },
        { timeout: 10_000, interval: 20 },
      );
    await busyUntilRunning();
    await vi.waitFor(() => expect(checkpoints.running).toBe(false), { timeout: 5_000 });
    expect(autocheckpoint(db)).toBe(1000);
    await busyUntilRunning();
    await checkpoints.stop();
    db.close();
  });
});
