import { createHash } from 'node:crypto';
import type { FileRecord } from '../../src/domain/file-record.js';

/** The lowercase hex SHA-256 of `bytes`: a file's id, or one chunk's hash. */
export const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/**
 * The record a node would publish for `bytes`: its id, size and real chunk hashes (`chunkSize`, 1 MiB unless
 * given), named after its id unless `name` is given.
 */
export function fileRecordOf(
  bytes: Uint8Array,
  {
    owner = 'alice@a',
    name,
    chunkSize = 1024 * 1024,
  }: { owner?: string; name?: string; chunkSize?: number } = {},
): FileRecord {
  const id = sha256Hex(bytes);
  const chunks: string[] = [];
  for (let at = 0; at < bytes.length; at += chunkSize)
    chunks.push(sha256Hex(bytes.subarray(at, at + chunkSize)));
  return {
    id,
    name: name ?? `${id.slice(0, 6)}.bin`,
    description: '',
    size: bytes.length,
    type: 'application/octet-stream',
    owner,
    publishedAt: '2026-01-01T00:00:00.000Z',
    chunkSize,
    chunks,
  };
}
