import type Database from 'better-sqlite3';
import { StoreClosed } from '../../application/errors.js';
import type { HeldCopies } from '../../application/ports/files/held-copies.js';

const CREATE = `
  CREATE TABLE IF NOT EXISTS held_copies (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE
  );
`;

/**
 * `HeldCopies` in the node's database: table `held_copies`, one row per id, in the order they were last added or
 * touched (`touch` gives the row a new `seq`, so no column is added to an existing table).
 */
export class SqliteHeldCopies implements HeldCopies {
  #closed = false;
  readonly #statements;

  constructor(
    private readonly db: Database.Database,
    private readonly options: { ownsDb?: boolean } = {},
  ) {
    db.exec(CREATE);
    this.#statements = {
      list: db.prepare<[], { id: string }>('SELECT id FROM held_copies ORDER BY seq'),
      add: db.prepare('INSERT OR IGNORE INTO held_copies (id) VALUES (?)'),
      remove: db.prepare('DELETE FROM held_copies WHERE id = ?'),
      insert: db.prepare('INSERT INTO held_copies (id) VALUES (?)'),
    };
  }

  list(): string[] {
    this.#open();
    return this.#statements.list.all().map((row) => row.id);
  }

  add(id: string): void {
    this.#open();
    this.#statements.add.run(id);
  }

  touch(id: string): void {
    this.#open();
    const { remove, insert } = this.#statements;
    this.db.transaction(() => {
      if (remove.run(id).changes > 0) insert.run(id);
    })();
  }

  remove(id: string): void {
    this.#open();
    this.#statements.remove.run(id);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.options.ownsDb) this.db.close();
  }

  #open(): void {
    if (this.#closed) throw new StoreClosed('This node is stopping; try again later or on another node.');
  }
}
