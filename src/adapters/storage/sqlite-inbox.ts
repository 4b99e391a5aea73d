import type Database from 'better-sqlite3';
import { StoreClosed } from '../../application/errors.js';
import type { Inbox } from '../../application/ports/inbox.js';
import type { HistoryEntry } from '../../domain/delivery.js';

/**
 * `Inbox` in SQLite, in a table of its own in the node's database (`inbox`, one row per user and message id).
 * Each call is one statement or one transaction, durable when it returns (the database's WAL mode).
 */
export class SqliteInbox implements Inbox {
  readonly #db: Database.Database;
  readonly #ownsDb: boolean;
  readonly #sql: ReturnType<typeof prepare>;
  readonly #remove: (name: string, ids: readonly string[]) => void;
  #closed = false;

  /** `ownsDb` (default true): `close` also closes `db`; pass false when the node's other stores share it. */
  constructor(db: Database.Database, options: { ownsDb?: boolean } = {}) {
    this.#db = db;
    this.#ownsDb = options.ownsDb ?? true;
    db.exec(`
      CREATE TABLE IF NOT EXISTS inbox (
        pos INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL,
        id TEXT NOT NULL,
        entry TEXT NOT NULL,
        UNIQUE (name, id)
      );
    `);
    const sql = prepare(db);
    this.#sql = sql;
    this.#remove = db.transaction((name: string, ids: readonly string[]) => {
      for (const id of ids) sql.remove.run(name, id);
    });
  }

  add(name: string, entry: HistoryEntry): void {
    this.#open();
    this.#sql.add.run(name, entry.id, JSON.stringify(entry));
  }

  count(name: string): number {
    this.#open();
    return this.#sql.count.get(name) as number;
  }

  list(name: string): HistoryEntry[] {
    this.#open();
    return (this.#sql.list.all(name) as string[]).map((text) => JSON.parse(text) as HistoryEntry);
  }

  remove(name: string, ids: readonly string[]): void {
    this.#open();
    if (ids.length > 0) this.#remove(name, ids);
  }

  clear(name: string): number {
    this.#open();
    return this.#sql.clear.run(name).changes;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#ownsDb) this.#db.close();
  }

  #open(): void {
    if (this.#closed) throw new StoreClosed();
  }
}

function prepare(db: Database.Database) {
  return {
    add: db.prepare('INSERT INTO inbox (name, id, entry) VALUES (?, ?, ?) ON CONFLICT(name, id) DO NOTHING'),
    count: db.prepare('SELECT count(*) FROM inbox WHERE name = ?').pluck(),
    list: db.prepare('SELECT entry FROM inbox WHERE name = ? ORDER BY pos').pluck(),
    remove: db.prepare('DELETE FROM inbox WHERE name = ? AND id = ?'),
    clear: db.prepare('DELETE FROM inbox WHERE name = ?'),
  };
}
