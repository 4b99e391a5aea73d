import type { FileRecord } from '../../../domain/file-record.js';

/** Why `add` kept nothing: the owner already has a record of that name, or of that content. */
export type AddFileOutcome = 'added' | 'name_taken' | 'content_taken';

export interface FileQuery {
  /** Records of this owner (`name@node`, lower-case) only. */
  readonly owner?: string;
  /**
   * Records whose name or description has every word (each also matching as a prefix), best match first. The
   * words are plain letters and digits (`searchWords`); an adapter must never read them as query syntax.
   */
  readonly words?: readonly string[];
  /** Most records returned. */
  readonly limit: number;
}

/**
 * The records of the files published on this node (the node's database, so they survive a restart).
 *
 * - Synchronous, indexed, durable once a call returns; throws `StoreClosed` once closed, and otherwise only when
 *   the storage fails.
 * - One owner has at most one record per name and one per content id; `add` is atomic and says which rule
 *   refused it. Several owners may publish the same content: the records share the id, size and chunks.
 * - Without `words`, records come newest first.
 */
export interface FileCatalog {
  add(record: FileRecord): AddFileOutcome;
  /** Every record of one content, oldest first; empty when none. */
  byId(id: string): FileRecord[];
  byName(owner: string, name: string): FileRecord | undefined;
  /** Removes the owner's record of `id`; `remaining` is how many records still hold that content. */
  remove(id: string, owner: string): { readonly removed?: FileRecord; readonly remaining: number };
  list(query: FileQuery): FileRecord[];
  close(): void;
}
