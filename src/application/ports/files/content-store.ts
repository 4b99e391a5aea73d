/** What hashing a file's bytes gave: its id (the SHA-256 of the whole) and the SHA-256 of each chunk. */
export interface ContentDigest {
  /** Lower-case hex SHA-256 of the whole content. */
  readonly id: string;
  readonly size: number;
  readonly chunkSize: number;
  /** Lower-case hex SHA-256 of each `chunkSize` piece, in order; none for an empty file. */
  readonly chunks: readonly string[];
}

/** Bytes received and hashed, not yet in the store under their id. */
export interface StagedContent extends ContentDigest {
  /**
   * Puts the bytes under their id (an atomic rename). When the store already holds that id, the staged copy is
   * dropped instead: one content is stored once. Rejects with `StorageFull` or `StorageFailed`.
   */
  commit(): Promise<void>;
  /** Removes the staged bytes; does nothing after `commit` or a second time. Never rejects. */
  discard(): Promise<void>;
}

/** Bytes `start` to `end` of a content, both included (an HTTP byte range once resolved). */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/**
 * Where a node keeps the bytes of files, addressed by the SHA-256 of their content.
 *
 * - `stage` streams `source` into a staging area, never holding it whole in memory, hashing the whole and each
 *   chunk as the bytes pass. It rejects with `FileTooLarge` as soon as more than `maxBytes` arrive (the rest of
 *   the source is not read), `StorageFull` when the disk or quota is full, `StorageFailed` on another write
 *   error, and `UploadIncomplete` when the source itself fails (a client that went away). Whatever it rejects
 *   with, nothing of the bytes is left anywhere.
 * - `open` resolves with the bytes of a held content (all, or one range), or `undefined` when it is not held;
 *   the bytes stay readable to that reader even if the content is removed meanwhile.
 * - `size` resolves with the byte count of a held content, `undefined` when it is not held (a quick look: no
 *   byte is read).
 * - `remove` is idempotent. Callers decide when no record refers to a content any more.
 * - Nothing is serialised here: the caller keeps `commit` and `remove` of one id from running together.
 */
export interface ContentStore {
  stage(source: AsyncIterable<Uint8Array>, limits: { readonly maxBytes: number }): Promise<StagedContent>;
  open(id: string, range?: ByteRange): Promise<AsyncIterable<Uint8Array> | undefined>;
  has(id: string): Promise<boolean>;
  size(id: string): Promise<number | undefined>;
  remove(id: string): Promise<void>;
  /** The ids of every content in the store, in no order (the start-up sweep of bytes no record refers to). */
  list(): Promise<string[]>;
  /** Releases the store; a store in a temporary directory removes it. */
  close(): Promise<void>;
}
