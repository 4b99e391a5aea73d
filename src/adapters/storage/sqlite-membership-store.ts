import type Database from 'better-sqlite3';
import type { MembershipStore, RememberedMembership } from '../../application/ports/membership-store.js';
import type { NodeReport } from '../../domain/peer-registry.js';

/**
 * `MembershipStore` in SQLite: one row per known node (`state` is `dead` for a node found dead, else empty) and
 * the incarnation in a meta table, replaced in one transaction.
 */
export class SqliteMembershipStore implements MembershipStore {
  readonly #db: Database.Database;
  readonly #ownsDb: boolean;
  #closed = false;
  /** Replaces the stored list and incarnation in one transaction (statements prepared once). */
  readonly #replace: (membership: RememberedMembership) => void;

  constructor(db: Database.Database, options: { ownsDb?: boolean } = {}) {
    this.#db = db;
    this.#ownsDb = options.ownsDb ?? true;
    db.exec(`
      CREATE TABLE IF NOT EXISTS known_nodes (
        id TEXT PRIMARY KEY,
        url TEXT NOT NULL,
        incarnation INTEGER,
        state TEXT
      );
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS node_keys (id TEXT PRIMARY KEY, key TEXT NOT NULL);
    `);
    const insertKey = db.prepare('INSERT INTO node_keys (id, key) VALUES (?, ?)');
    const clearKeys = db.prepare('DELETE FROM node_keys');
    const insert = db.prepare('INSERT INTO known_nodes (id, url, incarnation, state) VALUES (?, ?, ?, ?)');
    const clear = db.prepare('DELETE FROM known_nodes');
    const setIncarnation = db.prepare(
      "INSERT INTO meta (key, value) VALUES ('incarnation', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    );
    this.#replace = db.transaction((membership: RememberedMembership) => {
      clear.run();
      for (const node of membership.nodes)
        insert.run(node.id, node.url, node.incarnation ?? null, node.state ?? null);
      setIncarnation.run(String(membership.incarnation));
      // A save without bindings leaves the kept ones alone: forgetting a key would undo trust on first use.
      if (membership.keys) {
        clearKeys.run();
        for (const [id, key] of Object.entries(membership.keys)) insertKey.run(id, key);
      }
    });
  }

  load(): RememberedMembership | undefined {
    if (this.#closed) return undefined;
    const meta = this.#db
      .prepare<[], { value: string }>("SELECT value FROM meta WHERE key = 'incarnation'")
      .get();
    if (!meta) return undefined;
    const rows = this.#db
      .prepare<[], { id: string; url: string; incarnation: number | null; state: string | null }>(
        'SELECT id, url, incarnation, state FROM known_nodes ORDER BY id',
      )
      .all();
    const nodes: NodeReport[] = rows.map(({ id, url, incarnation, state }) => ({
      id,
      url,
      ...(incarnation === null ? {} : { incarnation }),
      ...(state === 'dead' || state === 'left' ? { state } : {}),
    }));
    const keys = this.#db.prepare<[], { id: string; key: string }>('SELECT id, key FROM node_keys').all();
    return {
      incarnation: Number(meta.value),
      nodes,
      ...(keys.length > 0 ? { keys: Object.fromEntries(keys.map((row) => [row.id, row.key])) } : {}),
    };
  }

  save(membership: RememberedMembership): void {
    if (this.#closed) return;
    this.#replace(membership);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#ownsDb) this.#db.close();
  }
}
