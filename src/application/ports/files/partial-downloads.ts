import type { FileRecord } from '../../../domain/file-record.js';

/**
 * A file being fetched from other nodes: a partial file and its journal in the data dir.
 *
 * - `verified` bytes from the start matched their chunk hashes: readers may have them. They reach the disk
 *   shortly after (a bounded queue, written in order while more bytes arrive); a chunk is journaled only once
 *   its bytes are written, so a crash of the process (`kill -9`) keeps every chunk written and journaled, and
 *   those are not checked again when the download is opened anew.
 * - `append(piece)` takes the next bytes after `verified` (plus whatever earlier `append`s left unverified): it
 *   holds at most one unverified chunk, checks each complete chunk against the record and queues it for the
 *   disk, waiting while the queue is full (backpressure). It rejects with `ChunkMismatch` (the unverified bytes
 *   are dropped, `verified` stays), or with `StorageFull` / `StorageFailed` once a queued write failed. Not
 *   re-entrant: one `append` at a time. It returns `undefined` (no promise) when the piece was taken at once,
 *   the common case, so a source pays no promise per piece; a promise when the caller must wait before the
 *   next piece (backpressure) or for a failure (it rejects; `append` never throws).
 * - `written()` resolves once every verified byte is written and journaled; rejects like `append` when a write
 *   failed.
 * - `dropUnverified()` forgets the bytes after `verified` (a source that broke off mid-chunk).
 * - `read(start, end)` gives verified bytes (both positions included, `end < verified`): the latest from
 *   memory, older ones from the partial file or, once finished, from the content store.
 * - `finish()` (all bytes verified): waits for the writes, checks the whole content against the id, makes it
 *   durable and moves it into the content store under its id, then removes the journal. A whole that does not match removes everything and rejects
 *   with `ChunkMismatch` (index -1): the record's chunk hashes do not describe its id.
 * - `discard()` removes the partial file and its journal; never rejects.
 * - `release()` lets go of the files (a transfer that stopped) once queued chunks are written, keeping them to
 *   resume; never rejects.
 */
export interface PartialDownload {
  readonly verified: number;
  append(piece: Uint8Array): Promise<void> | undefined;
  written(): Promise<void>;
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
