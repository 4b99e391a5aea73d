import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/adapters/storage/open-database.js';
import { RecentHistoryRows } from '../../src/adapters/storage/recent-history-rows.js';
import { SqliteMessageStore } from '../../src/adapters/storage/sqlite-message-store.js';
import type { HistoryEntry } from '../../src/domain/delivery.js';
import type { ChatMessage } from '../../src/domain/message.js';

const entry = (id: string, seq: number, status?: HistoryEntry['status']): HistoryEntry => ({
  id,
  from: 'a',
  to: 'b',
  msg: `text ${id}`,
  ts: '2026-12-07T09:00:00.000Z',
  seq,
  ...(status === undefined ? {} : { status }),
});

const none = () => undefined;

describe('RecentHistoryRows', () => {
  it('keeps a sent row while its status may change, and lets it go once it is delivered', () => {
    const rows = new RecentHistoryRows();
    rows.remember([{ entry: entry('m1', 1, 'queued'), pos: 7 }], false, none);
    expect(rows.get('m1')).toEqual({ entry: entry('m1', 1, 'queued'), pos: 7 });

    // A status change keeps the row's place (`pos`), with the new entry.
    rows.remember([{ entry: entry('m1', 2, 'expired'), pos: undefined }], false, none);
    expect(rows.get('m1')).toEqual({ entry: entry('m1', 2, 'expired'), pos: 7 });

    rows.remember([{ entry: entry('m1', 3, 'delivered'), pos: undefined }], false, none);
    expect(rows.get('m1')).toBeUndefined();
  });

  it('keeps neither a received row (no status) nor one added as delivered', () => {
    const rows = new RecentHistoryRows();
    rows.remember(
      [
        { entry: entry('in', 1), pos: 1 },
        { entry: entry('done', 2, 'delivered'), pos: 2 },
        { entry: entry('out', 3, 'queued'), pos: 3 },
      ],
      false,
      none,
    );
    expect(rows.get('in')).toBeUndefined();
    expect(rows.get('done')).toBeUndefined();
    expect(rows.get('out')?.pos).toBe(3);
  });
});

describe('SqliteMessageStore with sent messages no longer kept parsed once delivered', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('still finds a delivered message by id for a later status change, from SQLite', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshchat-recent-'));
    dirs.push(dir);
    const store = new SqliteMessageStore(openDatabase(dir), { historySize: 100, dedupWindowMs: 60_000 });
    const message: ChatMessage = {
      id: 'sent-1',
      from: 'a',
      to: 'b',
      msg: 'hello',
      ts: '2026-12-07T09:00:00.000Z',
    };
    const { outgoing } = await store.enqueue(
      [{ node: 'b', url: 'http://127.0.0.1:1', message, expiresAt: Date.now() + 60_000, notify: true }],
      { outgoing: message },
    );
    expect(outgoing).toMatchObject({ id: 'sent-1', status: 'queued' });
    const delivered = await store.setStatus('sent-1', 'delivered');
    expect(delivered).toMatchObject({ id: 'sent-1', status: 'delivered' });
    // Not a thing the courier does (delivered is final), but a store must still answer it correctly.
    const failed = await store.setStatus('sent-1', 'failed');
    expect(failed).toMatchObject({ id: 'sent-1', msg: 'hello', status: 'failed' });
    expect(failed?.seq).toBeGreaterThan(delivered?.seq ?? Number.POSITIVE_INFINITY);
    expect(store.history().map((h) => [h.id, h.status, h.seq])).toEqual([['sent-1', 'failed', failed?.seq]]);
    await store.close();
    const reopened = new SqliteMessageStore(openDatabase(dir), { historySize: 100, dedupWindowMs: 60_000 });
    expect(reopened.history().map((h) => [h.id, h.status])).toEqual([['sent-1', 'failed']]);
    await reopened.close();
  });
});
