import { canonicalAccountName, formatUserAddress } from './account.js';
import { MeshError } from './errors.js';
import {
  checkFileDescription,
  checkFileName,
  chunkCount,
  type FileRecord,
  fileType,
  isFileId,
} from './file-record.js';

const encoder = new TextEncoder();

/** Most records this node keeps of one other node's catalog; the rest of a longer one is cut. */
export const MAX_CATALOG_RECORDS_PER_NODE = 1_000;
/** Most records of all other nodes together (kept in SQLite, not in memory). */
export const MAX_CATALOG_RECORDS = 200_000;
/**
 * Most bytes (`catalogRecordBytes`) of one other node's part: what one whole `GET /files/catalog` answer can
 * carry, so a part built from many difference pulls is never bigger than one full answer could make it.
 */
export const MAX_CATALOG_PART_BYTES = 4 * 1024 * 1024;
/** Deletions a node remembers (with the version each was made at) to answer `GET /files/catalog?since=`. */
export const MAX_CATALOG_TOMBSTONES = 10_000;
/**
 * Most ids of files a node advertises it holds a verified copy of (`held` in `GET /files/catalog`, newest first),
 * and most this node keeps of one other node's list.
 */
export const MAX_HELD_COPIES = 1_000;
/** Largest chunk size a record from a peer may state (SPEC 6 uses 1 MiB; 64 MiB leaves room). */
const MAX_CHUNK_SIZE = 64 * 1024 * 1024;

/** A record a node no longer has: the tombstone of a delete, as a difference pull carries it. */
export interface RemovedRecord {
  readonly id: string;
  readonly owner: string;
}

/** One node's part of the mesh catalog: its own records at the version it gave them. */
export interface CatalogPart {
  readonly version: number;
  readonly files: readonly FileRecord[];
}

function ownerOf(node: string, owner: unknown): string | undefined {
  if (typeof owner !== 'string') return undefined;
  const at = owner.lastIndexOf('@');
  if (at <= 0 || owner.slice(at + 1) !== node) return undefined;
  const name = canonicalAccountName(owner.slice(0, at));
  return name === undefined ? undefined : formatUserAddress({ name, node });
}

/** `entry` re-checked with the rules a publish on this node applies, or undefined when it breaks one. */
function ownedRecord(
  node: string,
  entry: Partial<Record<keyof FileRecord, unknown>>,
): FileRecord | undefined {
  const owner = ownerOf(node, entry.owner);
  const { id, size, chunkSize, chunks, publishedAt, type } = entry;
  if (owner === undefined || typeof id !== 'string' || !isFileId(id)) return undefined;
  if (!Number.isSafeInteger(size) || (size as number) < 0) return undefined;
  if (!Number.isSafeInteger(chunkSize) || (chunkSize as number) < 1 || (chunkSize as number) > MAX_CHUNK_SIZE)
    return undefined;
  if (!Array.isArray(chunks) || chunks.length !== chunkCount(size as number, chunkSize as number))
    return undefined;
  if (!chunks.every((c) => typeof c === 'string' && isFileId(c))) return undefined;
  if (typeof publishedAt !== 'string' || publishedAt.length > 40 || Number.isNaN(Date.parse(publishedAt)))
    return undefined;
  try {
    const name = checkFileName(entry.name);
    return {
      id,
      name,
      description: checkFileDescription(entry.description),
      size: size as number,
      type: fileType(typeof type === 'string' ? type : undefined, name),
      owner,
      publishedAt,
      chunkSize: chunkSize as number,
      chunks: chunks as string[],
    };
  } catch (error) {
    if (error instanceof MeshError) return undefined;
    throw error;
  }
}

/**
 * The records of node `node`'s catalog that a peer may vouch for: each re-checked with the domain rules, owned
 * by `<name>@<node>` (no node publishes for another), one per owner and id, at most `max` of them.
 */
export function ownedFileRecords(node: string, files: readonly unknown[], max: number): FileRecord[] {
  const kept = new Map<string, FileRecord>();
  for (const entry of files) {
    if (kept.size >= max) break;
    if (typeof entry !== 'object' || entry === null) continue;
    const record = ownedRecord(node, entry as Partial<Record<keyof FileRecord, unknown>>);
    if (record && !kept.has(`${record.owner} ${record.id}`)) kept.set(`${record.owner} ${record.id}`, record);
  }
  return [...kept.values()];
}

/** The tombstones of a difference answer that node `node` may give: its own owners' records, well formed. */
export function ownedRemovals(node: string, removed: readonly unknown[], max: number): RemovedRecord[] {
  const kept = new Map<string, RemovedRecord>();
  for (const entry of removed) {
    if (kept.size >= max) break;
    if (typeof entry !== 'object' || entry === null) continue;
    const { id, owner: said } = entry as { id?: unknown; owner?: unknown };
    const owner = ownerOf(node, said);
    if (owner !== undefined && typeof id === 'string' && isFileId(id))
      kept.set(`${owner} ${id}`, { id, owner });
  }
  return [...kept.values()];
}

/** The ids of a `held` list a peer may give: well-formed file ids, each once, at most `max`; anything else is dropped. */
export function heldFileIds(held: unknown, max: number): string[] {
  if (!Array.isArray(held)) return [];
  const kept = new Set<string>();
  for (const id of held) {
    if (kept.size >= max) break;
    if (typeof id === 'string' && isFileId(id)) kept.add(id);
  }
  return [...kept];
}

/** What a checked record costs to keep: its text in UTF-8, 32 bytes per chunk hash, and a fixed overhead. */
export function catalogRecordBytes(record: FileRecord): number {
  const text = `${record.id}${record.name}${record.description}${record.type}${record.owner}${record.publishedAt}`;
  return encoder.encode(text).length + 32 * record.chunks.length + 64;
}

/**
 * Whether a pulled part replaces the held one: only a version at least as new. A node's catalog version grows on
 * every publish and delete, so an answer older than the copy (a slow pull, or a peer relaying stale records)
 * never brings back a record its node deleted: the newer part, without it, is the tombstone that wins.
 */
export function replacesPart(held: CatalogPart | undefined, pulled: CatalogPart): boolean {
  return held === undefined || pulled.version >= held.version;
}

/** Whether `record` has every word of `words` in its name or description, each also as a prefix. */
export function matchesWords(record: FileRecord, words: readonly string[]): boolean {
  const own =
    `${record.name} ${record.description}`
      .normalize('NFKC')
      .toLowerCase()
      .match(/[\p{L}\p{M}\p{N}]+/gu) ?? [];
  return words.every((word) => own.some((w) => w.startsWith(word)));
}
