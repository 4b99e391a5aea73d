import type { FileRecord } from '../../domain/file-record.js';

/**
 * A file record as the SQLite stores keep it (this node's catalog and its copies of other nodes'): the chunk
 * hashes packed as one blob of 32-byte SHA-256 digests.
 */
export interface FileRecordRow {
  id: string;
  owner: string;
  name: string;
  description: string;
  type: string;
  published_at: string;
  size: number;
  chunk_size: number;
  chunks: Buffer;
}

/** The chunk hashes of a record as one blob (32 bytes each, in order). */
export function packChunks(chunks: readonly string[]): Buffer {
  return Buffer.concat(chunks.map((chunk) => Buffer.from(chunk, 'hex')));
}

export function fileRecordFromRow(row: FileRecordRow): FileRecord {
  const chunks: string[] = [];
  for (let at = 0; at < row.chunks.length; at += 32)
    chunks.push(row.chunks.subarray(at, at + 32).toString('hex'));
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    size: row.size,
    type: row.type,
    owner: row.owner,
    publishedAt: row.published_at,
    chunkSize: row.chunk_size,
    chunks,
  };
}
