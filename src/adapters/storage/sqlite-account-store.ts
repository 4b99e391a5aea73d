import type Database from 'better-sqlite3';
import { AccountsClosed } from '../../application/accounts/account-errors.js';
import type {
  AccountRecord,
  AccountStore,
  SessionRecord,
} from '../../application/ports/accounts/account-store.js';

interface AccountRow {
  readonly name: string;
  readonly password_hash: string;
  readonly created_at: number;
  readonly last_seen: number | null;
}

interface SessionRow {
  readonly token_hash: string;
  readonly name: string;
  readonly created_at: number;
  readonly expires_at: number;
}

const toAccount = (row: AccountRow): AccountRecord => ({
  name: row.name,
  passwordHash: row.password_hash,
  createdAt: row.created_at,
  ...(row.last_seen === null ? {} : { lastSeen: row.last_seen }),
});

const toSession = (row: SessionRow): SessionRecord => ({
  tokenHash: row.token_hash,
  name: row.name,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
});

function prepare(db: Database.Database) {
  return {
    insertAccount: db.prepare(
      'INSERT INTO accounts (name, password_hash, created_at, last_seen) VALUES (?, ?, ?, ?) ON CONFLICT(name) DO NOTHING',
    ),
    getAccount: db.prepare<[string], AccountRow>('SELECT * FROM accounts WHERE name = ?'),
    listAccounts: db.prepare<[], AccountRow>('SELECT * FROM accounts ORDER BY name'),
    deleteAccount: db.prepare('DELETE FROM accounts WHERE name = ?'),
    deleteSessionsOf: db.prepare('DELETE FROM sessions WHERE name = ?'),
    setLastSeen: db.prepare('UPDATE accounts SET last_seen = ? WHERE name = ?'),
    insertSession: db.prepare(
      'INSERT INTO sessions (token_hash, name, created_at, expires_at) SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM accounts WHERE name = ?) ON CONFLICT(token_hash) DO NOTHING',
    ),
    getSession: db.prepare<[string], SessionRow>('SELECT * FROM sessions WHERE token_hash = ?'),
    deleteSession: db.prepare('DELETE FROM sessions WHERE token_hash = ?'),
    deleteExpired: db.prepare('DELETE FROM sessions WHERE expires_at <= ?'),
  };
}

/**
 * `AccountStore` in SQLite, in tables of its own in the node's database (`accounts`, `sessions`). Each call is
 * one statement or one transaction, durable when it returns (the database's WAL mode).
 */
export class SqliteAccountStore implements AccountStore {
  readonly #db: Database.Database;
  readonly #ownsDb: boolean;
  readonly #sql: ReturnType<typeof prepare>;
  readonly #deleteAccount: (name: string) => number | undefined;
  #closed = false;

  /** Creates the tables when needed. `ownsDb` (default true): `close` also closes `db`. */
  constructor(db: Database.Database, options: { ownsDb?: boolean } = {}) {
    this.#db = db;
    this.#ownsDb = options.ownsDb ?? true;
    db.exec(`
      CREATE TABLE IF NOT EXISTS accounts (
        name TEXT PRIMARY KEY,
        password_hash TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        last_seen INTEGER
      );
      CREATE TABLE IF NOT EXISTS sessions (
        token_hash TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      );
      CREATE INDEX IF NOT EXISTS sessions_name ON sessions (name);
      CREATE INDEX IF NOT EXISTS sessions_expires_at ON sessions (expires_at);
    `);
    const sql = prepare(db);
    this.#sql = sql;
    this.#deleteAccount = db.transaction((name: string) => {
      if (sql.deleteAccount.run(name).changes === 0) return undefined;
      return sql.deleteSessionsOf.run(name).changes;
    });
  }

  createAccount(account: AccountRecord): boolean {
    const { name, passwordHash, createdAt, lastSeen } = account;
    return this.#open().insertAccount.run(name, passwordHash, createdAt, lastSeen ?? null).changes === 1;
  }

  getAccount(name: string): AccountRecord | undefined {
    const row = this.#open().getAccount.get(name);
    return row ? toAccount(row) : undefined;
  }

  listAccounts(): AccountRecord[] {
    return this.#open().listAccounts.all().map(toAccount);
  }

  deleteAccount(name: string): number | undefined {
    this.#open();
    return this.#deleteAccount(name);
  }

  setLastSeen(name: string, at: number): void {
    this.#open().setLastSeen.run(at, name);
  }

  addSession(session: SessionRecord): boolean {
    const { tokenHash, name, createdAt, expiresAt } = session;
    return this.#open().insertSession.run(tokenHash, name, createdAt, expiresAt, name).changes === 1;
  }

  getSession(tokenHash: string): SessionRecord | undefined {
    const row = this.#open().getSession.get(tokenHash);
    return row ? toSession(row) : undefined;
  }

  deleteSession(tokenHash: string): boolean {
    return this.#open().deleteSession.run(tokenHash).changes === 1;
  }

  deleteExpiredSessions(now: number): number {
    return this.#open().deleteExpired.run(now).changes;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#ownsDb) this.#db.close();
  }

  #open(): ReturnType<typeof prepare> {
    if (this.#closed) throw new AccountsClosed();
    return this.#sql;
  }
}
