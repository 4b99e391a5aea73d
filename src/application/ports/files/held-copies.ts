/**
 * The files this node holds a verified copy of without having published them (fetched from other nodes), kept
 * so that a restarted node still advertises them (the `held` list of its catalog).
 *
 * - Synchronous, durable once a call returns (the real adapter: the node's database); throws `StoreClosed` once
 *   closed, and otherwise only when the storage fails.
 * - `list` gives every id, least recently used first: `add` puts a new id last and leaves one already listed in
 *   its place (idempotent); `touch` moves a listed id last (a copy just served) and ignores one not listed;
 *   `remove` is idempotent. Ids are checked content ids (the caller's): the store neither checks nor bounds them.
 * - It holds only the claim: whether the bytes are still in the content store is the caller's to check.
 */
export interface HeldCopies {
  list(): string[];
  add(id: string): void;
  touch(id: string): void;
  remove(id: string): void;
  close(): void;
}
