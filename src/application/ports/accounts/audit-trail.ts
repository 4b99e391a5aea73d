/** What was done to an account, a session or a file; `node_record`: a peer's node record refused for its
 * key or signature (signed node identity); `message`: a message refused for its origin's signature. */
export type AuditOperation =
  | 'register'
  | 'unregister'
  | 'login'
  | 'logout'
  | 'connect'
  | 'disconnect'
  | 'publish'
  | 'delete'
  | 'list'
  | 'search'
  | 'download'
  | 'node_record'
  | 'message';

/**
 * One line of the audit trail: who did what to which object, and how it ended. `outcome` is `ok` or the
 * stable code of the refusal (`bad_credentials`, `rate_limited`, `name_taken`, ...): a failed login is a
 * `login` whose outcome is not `ok`.
 */
export interface AuditRecord {
  /** ISO-8601 UTC time, milliseconds included. */
  readonly at: string;
  /** The node that performed the operation. */
  readonly node: string;
  /** The account name (lower-case), or `-` when the request named none that is valid. */
  readonly user: string;
  readonly op: AuditOperation;
  /**
   * What the operation was on: `account alice@a`, `session 1f2e3d4c5b6a`, `client 10.0.0.7`, `connection x`,
   * `file <id>`, `files of bob@b`, `search "<words>"`.
   */
  readonly object: string;
  readonly outcome: string;
}

/** Which records to read: at or after `since` (ISO-8601), of one user (and home node). */
export interface AuditQuery {
  readonly since?: string;
  readonly user?: string;
  readonly node?: string;
}

/**
 * Writes the audit trail down (the node's database, its log).
 *
 * `record` returns at once and never throws: the operation it describes has happened, whatever becomes of its
 * record; an adapter that cannot write reports that on its own channel (the log).
 */
export interface AuditTrail {
  record(entry: AuditRecord): void;
}
