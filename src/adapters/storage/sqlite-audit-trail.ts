import type Database from 'better-sqlite3';
import type { AuditQuery, AuditRecord, AuditTrail } from '../../application/ports/accounts/audit-trail.js';

const CREATE = `
  CREATE TABLE IF NOT EXISTS audit_trail (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    node TEXT NOT NULL,
    user TEXT NOT NULL,
    op TEXT NOT NULL,
    object TEXT NOT NULL,
    outcome TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS audit_trail_at ON audit_trail (at);
  CREATE INDEX IF NOT EXISTS audit_trail_user ON audit_trail (user, at);
`;

/**
 * `AuditTrail` in the node's database (table `audit_trail`), one row per record, kept until the data dir is
 * removed. A write that fails (disk full, database closed) is handed to `onError` and dropped: the operation
 * it describes has already happened.
 */
export class SqliteAuditTrail implements AuditTrail {
  readonly #insert: Database.Statement;

  constructor(
    private readonly db: Database.Database,
    private readonly options: { onError?: (error: unknown) => void } = {},
  ) {
    db.exec(CREATE);
    this.#insert = db.prepare(
      'INSERT INTO audit_trail (at, node, user, op, object, outcome) VALUES (@at, @node, @user, @op, @object, @outcome)',
    );
  }

  record(entry: AuditRecord): void {
    try {
      this.#insert.run(entry);
    } catch (error) {
      this.options.onError?.(error);
    }
  }

  list(query: AuditQuery = {}): AuditRecord[] {
    return readAuditTrail(this.db, query);
  }
}

/**
 * The audit records in `db` that match `query`, oldest first. Works on a read-only connection, and returns
 * nothing for a database that has never had an audit trail. ISO-8601 UTC times sort as text, so `since`
 * compares as text; pass it in the same form (`2026-01-01T00:00:00.000Z`).
 */
export function readAuditTrail(db: Database.Database, query: AuditQuery = {}): AuditRecord[] {
  const exists = db
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit_trail'")
    .get();
  if (!exists) return [];
  const where: string[] = [];
  const params: Record<string, string> = {};
  if (query.since !== undefined) {
    where.push('at >= @since');
    params.since = query.since;
  }
  if (query.user !== undefined) {
    where.push('user = @user');
    params.user = query.user;
  }
  if (query.node !== undefined) {
    where.push('node = @node');
    params.node = query.node;
  }
  return db
    .prepare<Record<string, string>, AuditRecord>(
      `SELECT at, node, user, op, object, outcome FROM audit_trail ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq`,
    )
    .all(params);
}
