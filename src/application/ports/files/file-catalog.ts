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
 * One fetch of a file's bytes from this node: when, by whom as the request named itself (`user`, a logged-in
 * user's address; else `node`, the id a fetching meshchat node gave; neither: anonymous) and which bytes.
 */
export interface DownloadEntry {
  /** ISO-8601. */
  readonly at: string;
  readonly user?: string;
  readonly node?: string;
  /** `<first>-<last>`, both included; empty for a 0-byte file. */
  readonly bytes: string;
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
  /**
   * Keeps one download of a content held here, for its owners to see; the oldest beyond
   * `MAX_DOWNLOADS_PER_FILE` (domain) go. A content no record holds keeps nothing (its entries go with its last record).
   */
  recordDownload(id: string, entry: DownloadEntry): void;
  /** The downloads of a content, newest first, at most `limit`. */
  downloads(id: string, limit: number): DownloadEntry[];
  /**
   * Whether this node holds a verified copy of the content fetched from another node (`VersionedFileCatalog`):
   * such a copy keeps the bytes as a record does. Absent: no fetched copies are kept.
   */
  isHeld?(id: string): boolean;
  close(): void;
}
