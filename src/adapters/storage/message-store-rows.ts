// The message store's rows as SQLite holds them (tables `seen_ids`, `history`, `outbox`), the prepared
// statements that read and write them, and the counts a write transaction keeps while it runs.
import type Database from 'better-sqlite3';
import type { DeliveryStatus, HistoryEntry, OutboxEntry } from '../../domain/delivery.js';
import type { ChatMessage } from '../../domain/message.js';
import type { WrittenRow } from './recent-history-rows.js';

export interface HistoryRow {
  readonly pos: number;
  readonly id: string;
  readonly seq: number;
  readonly status: DeliveryStatus | null;
  readonly message: string;
}

export interface OutboxRow {
  readonly key: number;
  readonly node: string;
  readonly url: string;
  readonly message: string;
  readonly expires_at: number;
  readonly notify: number;
}

/** Row counts as the open transaction changes them; adopted when it commits. */
export interface Counts {
  history: number;
  seen: number;
  /** History rows the transaction wrote (added, or given a new status), for `#recent` once it commits. */
  readonly written: WrittenRow[];
  /** It trimmed history to its cap. */
  trimmed: boolean;
  /** Ids the transaction added to `seen_ids`, for `#seenIds` once it commits. */
  readonly seenAdded: string[];
}

export const toEntry = (row: HistoryRow): HistoryEntry => ({
  ...(JSON.parse(row.message) as ChatMessage),
  seq: row.seq,
  ...(row.status === null ? {} : { status: row.status }),
});

export const toOutboxEntry = (row: OutboxRow): OutboxEntry => ({
  key: row.key,
  node: row.node,
  url: row.url,
  message: JSON.parse(row.message) as ChatMessage,
  expiresAt: row.expires_at,
  notify: row.notify !== 0,
});

/** The statements by name. */
type StatementName =
  | 'seen'
  | 'insertSeen'
  | 'pruneSeen'
  | 'capSeen'
  | 'countSeen'
  | 'allSeenIds'
  | 'allHistoryIds'
  | 'insertHistory'
  | 'trimHistory'
  | 'setStatus'
  | 'setStatusAt'
  | 'historyById'
  | 'allHistory'
  | 'lastHistory'
  | 'historyBefore'
  | 'posOf'
  | 'historySince'
  | 'countHistory'
  | 'maxSeq'
  | 'nthPos'
  | 'insertOutbox'
  | 'deleteOutbox'
  | 'deleteOutboxMany'
  | 'allOutbox'
  | 'lastKey';

/** Every statement the store runs, prepared once when it opens. */
export function prepare(db: Database.Database): Record<StatementName, Database.Statement> {
  return {
    seen: db.prepare('SELECT 1 FROM seen_ids WHERE id = ?'),
    insertSeen: db.prepare('INSERT OR IGNORE INTO seen_ids (id, at) VALUES (?, ?)'),
    pruneSeen: db.prepare('DELETE FROM seen_ids WHERE at < ?'),
    capSeen: db.prepare(
      'DELETE FROM seen_ids WHERE rowid IN (SELECT rowid FROM seen_ids ORDER BY rowid LIMIT ?)',
    ),
    countSeen: db.prepare('SELECT count(*) FROM seen_ids').pluck(),
    allSeenIds: db.prepare('SELECT id FROM seen_ids').pluck(),
    allHistoryIds: db.prepare('SELECT id FROM history').pluck(),
    insertHistory: db.prepare('INSERT OR IGNORE INTO history (id, seq, status, message) VALUES (?, ?, ?, ?)'),
    trimHistory: db.prepare(
      'DELETE FROM history WHERE pos IN (SELECT pos FROM history ORDER BY pos LIMIT ?)',
    ),
    setStatus: db.prepare('UPDATE history SET status = ?, seq = ? WHERE id = ?'),
    setStatusAt: db.prepare('UPDATE history SET status = ?, seq = ? WHERE pos = ?'),
    historyById: db.prepare('SELECT pos, id, seq, status, message FROM history WHERE id = ?'),
    allHistory: db.prepare('SELECT pos, id, seq, status, message FROM history ORDER BY pos'),
    lastHistory: db.prepare('SELECT pos, id, seq, status, message FROM history ORDER BY pos DESC LIMIT ?'),
    historyBefore: db.prepare(
      'SELECT pos, id, seq, status, message FROM history WHERE pos < ? ORDER BY pos DESC LIMIT ?',
    ),
    posOf: db.prepare('SELECT pos FROM history WHERE id = ?').pluck(),
    historySince: db.prepare('SELECT pos, id, seq, status, message FROM history WHERE seq > ? ORDER BY pos'),
    countHistory: db.prepare('SELECT count(*) FROM history').pluck(),
    maxSeq: db.prepare('SELECT max(seq) FROM history').pluck(),
    nthPos: db.prepare('SELECT pos FROM history ORDER BY pos LIMIT 1 OFFSET ?').pluck(),
    insertOutbox: db.prepare(
      'INSERT INTO outbox (key, node, url, message, expires_at, notify) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    deleteOutbox: db.prepare('DELETE FROM outbox WHERE key = ?'),
    deleteOutboxMany: db.prepare('DELETE FROM outbox WHERE key IN (SELECT value FROM json_each(?))'),
    allOutbox: db.prepare('SELECT key, node, url, message, expires_at, notify FROM outbox ORDER BY key'),
    lastKey: db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'").pluck(),
  };
}
