/** An account as its home node keeps it. `name` is lower-case; times are milliseconds since the epoch. */
export interface AccountRecord {
  readonly name: string;
  /** The `PasswordHasher`'s encoded hash, parameters included; never the password. */
  readonly passwordHash: string;
  readonly createdAt: number;
  /** When the user's last connection closed; `undefined` when none ever did. */
  readonly lastSeen?: number;
}

/** A login session. The token itself is never kept, only its hash (`SessionTokens.hash`). */
export interface SessionRecord {
  readonly tokenHash: string;
  readonly name: string;
  readonly createdAt: number;
  readonly expiresAt: number;
}

/**
 * Where a node keeps its users and their sessions (its data dir, so they survive a restart).
 *
 * - Every method is synchronous, fast (indexed lookups) and durable once it returns; it throws only when the
 *   storage fails (disk full, database closed), which the caller reports as an internal error.
 * - Names are compared exactly: callers pass the lower-case form (`canonicalAccountName`).
 * - `createAccount` is atomic: of two calls with one name, exactly one returns true.
 * - `deleteAccount` removes the account and all its sessions at once; it returns the number of sessions it
 *   removed, or `undefined` when there was no such account.
 * - A session belongs to an existing account: `addSession` for an unknown name, or with a token hash already
 *   stored, returns false and keeps nothing.
 * - Sessions are returned whatever their expiry: expiry is the caller's rule, and `deleteExpiredSessions`
 *   only frees space.
 * - `close` releases the store (and the database when the adapter owns it); later calls throw `AccountsClosed`.
 */
export interface AccountStore {
  createAccount(account: AccountRecord): boolean;
  getAccount(name: string): AccountRecord | undefined;
  /** Every account, by name. */
  listAccounts(): AccountRecord[];
  deleteAccount(name: string): number | undefined;
  /** Records when the user was last seen; ignored for an unknown name. */
  setLastSeen(name: string, at: number): void;
  addSession(session: SessionRecord): boolean;
  getSession(tokenHash: string): SessionRecord | undefined;
  /** Revokes one session; false when it was not there. */
  deleteSession(tokenHash: string): boolean;
  /** Removes every session whose `expiresAt` is at or before `now`; returns how many. */
  deleteExpiredSessions(now: number): number;
  close(): void;
}
