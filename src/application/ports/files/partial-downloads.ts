import type { FileRecord } from '../../../domain/file-record.js';

/**
 * A file being fetched from other nodes: a partial file and its journal in the data dir.
 *
 * - `verified` bytes from the start are on disk and matched their chunk hashes; they survive a crash of the
 *   process (`kill -9`) and are not checked again when the download is opened anew.
 * - `append(piece)` takes the next bytes after `verified` (plus whatever earlier `append`s left unverified): it
 *   holds at most one chunk, checks each complete chunk against the record, writes it and journals it. It
 *   rejects with `ChunkMismatch` (the unverified bytes are dropped, `verified` stays), `StorageFull` or
 *   `StorageFailed`. Not re-entrant: one `append` at a time.
 * - `dropUnverified()` forgets the bytes after `verified` (a source that broke off mid-chunk).
 * - `read(start, end)` gives verified bytes (both positions included, `end < verified`), from the partial file or,
 *   once finished, from the content store.
 * - `finish()` (all bytes verified): checks the whole content against the id, makes it durable and moves it into
 *   the content store under its id, then removes the journal. A whole that does not match removes everything
 *   and rejects with `ChunkMismatch` (index -1): the record's chunk hashes do not describe its id.
 * - `discard()` removes the partial file and its journal; never rejects.
 * - `release()` lets go of the files (a transfer that stopped), keeping them to resume; never rejects.
 */
export interface PartialDownload {
  readonly verified: number;
  append(piece: Uint8Array): Promise<void>;
  dropUnverified(): void;
  read(start: number, end: number): AsyncIterable<Uint8Array>;
  finish(): Promise<void>;
  discard(): Promise<void>;
  release(): Promise<void>;
}

/**
 * Where downloads from other nodes are kept until complete. `open` resumes a journaled download of the record
 * (or starts one), after checking there is room for the rest (`StorageFull` when not); `sweep` removes partial
 * downloads untouched for `maxAgeMs`, except those of `active` ids.
 */
export interface PartialDownloads {
  open(record: FileRecord): Promise<PartialDownload>;
  sweep(maxAgeMs: number, active: ReadonlySet<string>): Promise<number>;
}
