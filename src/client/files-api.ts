import { callNode, type HttpRequest } from './accounts-api.js';
import { type FileReference, isRecord, parseWireError, type WireError } from './frames.js';

// The files calls of a node's HTTP API (SPEC §6) as a front end makes them, apart from the upload itself
// (the host streams the bytes its own way, with progress): list and search, delete, who fetched a file, the
// node's size limit; and the words a page shows for them. Every answer is untrusted and checked here.

/** A published file as a listing shows it (the chunk hashes are left out: a page does not check them). */
export interface PublishedFile {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly size: number;
  readonly type: string;
  /** The publisher's address, `name@node`. */
  readonly owner: string;
  readonly publishedAt: string;
}

/** `GET /files`: the files found and, with `scope=mesh`, the nodes whose part of the catalog is stale. */
export interface FileListing {
  readonly files: readonly PublishedFile[];
  readonly missing: readonly string[];
}

/** One fetch of a file, as its owner sees it: a user, a node that named itself, or neither (anonymous). */
export interface FileDownload {
  readonly at: string;
  readonly user?: string;
  readonly node?: string;
  readonly bytes: string;
}

export type FilesResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: WireError };

/** Entries kept from one answer: a hostile node cannot make the page draw without end. */
export const MAX_LISTED_FILES = 200;
export const MAX_LISTED_DOWNLOADS = 100;

const FILE_ID = /^[0-9a-f]{64}$/;
const SIZE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** `0 B`, `999 B`, `1.0 KiB`, `1.5 MiB`: binary units, one decimal from KiB up. */
export function formatFileSize(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '? B';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < SIZE_UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  // 1023.95 KiB would read "1024.0 KiB": round first, then carry to the next unit.
  if (unit > 0 && value.toFixed(1) === '1024.0' && unit < SIZE_UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${Math.round(value)} B` : `${value.toFixed(1)} ${SIZE_UNITS[unit]}`;
}

const text = (value: unknown, max: number): string | undefined =>
  typeof value === 'string' && value.length <= max ? value : undefined;

export function parsePublishedFile(value: unknown): PublishedFile | undefined {
  if (!isRecord(value)) return undefined;
  const id = text(value.id, 64);
  const name = text(value.name, 1024);
  const owner = text(value.owner, 200);
  const size = value.size;
  if (!id || !FILE_ID.test(id) || !name || !owner) return undefined;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) return undefined;
  return {
    id,
    name,
    description: text(value.description, 8192) ?? '',
    size,
    type: text(value.type, 256) ?? 'application/octet-stream',
    owner,
    publishedAt: text(value.publishedAt, 64) ?? '',
  };
}

function strings(value: unknown, max: number): string[] {
  return Array.isArray(value)
    ? value.filter((x): x is string => typeof x === 'string' && x.length <= 200).slice(0, max)
    : [];
}

/** A `GET /files` answer; entries that are not files are dropped. Undefined when it is not a listing. */
export function parseFileListing(value: unknown): FileListing | undefined {
  if (!isRecord(value) || !Array.isArray(value.files)) return undefined;
  const files: PublishedFile[] = [];
  const seen = new Set<string>();
  for (const raw of value.files) {
    const file = parsePublishedFile(raw);
    // One content of one owner once (the mesh catalog never lists it twice, but a node could).
    if (!file || seen.has(`${file.owner} ${file.id}`)) continue;
    seen.add(`${file.owner} ${file.id}`);
    files.push(file);
    if (files.length >= MAX_LISTED_FILES) break;
  }
  return { files, missing: strings(value.missing, MAX_LISTED_FILES) };
}

/** A `GET /files/:id/downloads` answer, newest first as sent. Undefined when it is not one. */
export function parseDownloads(value: unknown): FileDownload[] | undefined {
  if (!isRecord(value) || !Array.isArray(value.downloads)) return undefined;
  const downloads: FileDownload[] = [];
  for (const raw of value.downloads.slice(0, MAX_LISTED_DOWNLOADS)) {
    if (!isRecord(raw)) continue;
    const at = text(raw.at, 64);
    if (at === undefined) continue;
    const user = text(raw.user, 200);
    const node = text(raw.node, 200);
    downloads.push({
      at,
      ...(user === undefined ? {} : { user }),
      ...(node === undefined ? {} : { node }),
      bytes: text(raw.bytes, 64) ?? '',
    });
  }
  return downloads;
}

/** Who fetched it, in words: the user's address, `node <id>` for a node that named itself, or `anonymous`. */
export function fetcherLabel(download: FileDownload): string {
  if (download.user !== undefined) return download.user;
  if (download.node !== undefined) return `node ${download.node}`;
  return 'anonymous';
}

/**
 * `fetched by bob@b, anonymous (2×)`: each fetcher once, in the order of their latest fetch (newest first),
 * with a count when more than one; `not fetched yet` for none.
 */
export function fetchedBySummary(downloads: readonly FileDownload[]): string {
  if (downloads.length === 0) return 'not fetched yet';
  const counts = new Map<string, number>();
  for (const d of downloads) {
    const who = fetcherLabel(d);
    counts.set(who, (counts.get(who) ?? 0) + 1);
  }
  const parts = [...counts].map(([who, n]) => (n > 1 ? `${who} (${n}×)` : who));
  return `fetched by ${parts.join(', ')}`;
}

/** The reference a message carries for a published file. */
export function fileReferenceOf(file: Pick<PublishedFile, 'id' | 'name' | 'size'>): FileReference {
  return { id: file.id, name: file.name, size: file.size };
}

/** The path of a file's bytes on the node (`GET /files/:id`); the id is checked, so it is always a path. */
export function downloadPath(id: string): string {
  return FILE_ID.test(id) ? `/files/${id}` : '/files/invalid';
}

/** `POST /files?name=…&description=…`: the upload's path (an empty description is left out). */
export function publishPath(name: string, description: string): string {
  return `/files${queryString({ name, description: description === '' ? undefined : description })}`;
}

/** `?a=1&b=2` with every value percent-encoded; undefined values are left out (and `?` when none is left). */
function queryString(params: Record<string, string | undefined>): string {
  const parts = Object.entries(params)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([key, value]) => `${key}=${encodeURIComponent(value)}`);
  return parts.length === 0 ? '' : `?${parts.join('&')}`;
}

/** A file the node would refuse for its size, said before a byte is sent; undefined when it fits. */
export function tooLargeText(
  name: string,
  size: number,
  maxFileSize: number | undefined,
): string | undefined {
  if (maxFileSize === undefined || size <= maxFileSize) return undefined;
  return `${name} is ${formatFileSize(size)}; this node takes files of at most ${formatFileSize(maxFileSize)}.`;
}

/** The error a node's answer body names (`{error: {code, message}}`), if it is one. */
function wireErrorIn(body: string): WireError | undefined {
  try {
    const json: unknown = JSON.parse(body);
    return isRecord(json) && isRecord(json.error) ? parseWireError(json) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * An upload's refusal in words: the node's own sentence when it sent one, with what to do for a login or a
 * size; a status alone is named with what it usually means.
 */
export function uploadRefusalText(status: number, body: string, maxFileSize: number | undefined): string {
  const wire = wireErrorIn(body);
  const limit =
    maxFileSize === undefined ? '' : ` This node takes files of at most ${formatFileSize(maxFileSize)}.`;
  switch (status) {
    case 401:
      return `${wire?.message ?? 'This node needs a login to publish.'} Sign in again to publish.`;
    case 413:
      return `${wire?.message ?? 'The file is too large for this node.'}${limit}`;
    case 409:
      return wire?.message ?? 'You already published a file of that name or that content.';
    case 507:
      return wire?.message ?? 'The node ran out of disk space; nothing was kept.';
    default:
      return wire?.message ?? `The node answered ${status}; nothing was published.`;
  }
}

/**
 * What the page tells a person whose download the node refused: a plain sentence per refusal. The node's own
 * sentence is for developers (it names the file's hash and the holders' URLs), so it is shown only for a refusal
 * this list does not know.
 */
export function downloadRefusalText(status: number, body: string): string {
  const wire = wireErrorIn(body);
  switch (wire?.code) {
    case 'unknown_file':
      return 'This file is no longer there: its owner may have deleted it.';
    case 'file_unavailable':
      return 'No node that holds this file could send it just now: try again later.';
    case 'downloads_busy':
      return 'The node is busy with other downloads: try again in a moment.';
    case 'insufficient_storage':
      return 'The node has no room left to fetch this file.';
    case 'unauthenticated':
      return 'Your sign-in has expired: sign in again to download.';
    default:
      return wire?.message ?? `The node answered ${status}; nothing was downloaded.`;
  }
}

/** The files calls on one node. Each resolves (never rejects) with the value or the node's refusal. */
export class FilesApi {
  constructor(private readonly request: HttpRequest) {}

  /**
   * `GET /files?scope=mesh`, with `q` (search as you type) and/or `owner` (one user's files); with neither,
   * the newest files of the mesh.
   */
  list(query: { q?: string; owner?: string; limit?: number }): Promise<FilesResult<FileListing>> {
    const q = query.q?.trim();
    const params = {
      scope: 'mesh',
      q: q === '' ? undefined : q,
      owner: query.owner,
      limit: query.limit === undefined ? undefined : String(query.limit),
    };
    return this.#call('GET', `/files${queryString(params)}`, 200, parseFileListing);
  }

  /** `DELETE /files/:id` with the owner's token. */
  remove(token: string, id: string): Promise<FilesResult<true>> {
    return this.#call('DELETE', downloadPath(id), 200, () => true, token);
  }

  /** `GET /files/:id/downloads` with the owner's token: who fetched it, newest first. */
  downloads(token: string, id: string): Promise<FilesResult<FileDownload[]>> {
    return this.#call('GET', `${downloadPath(id)}/downloads`, 200, parseDownloads, token);
  }

  /** `GET /healthz`'s `files.maxFileSize`; undefined when the node does not say. */
  async maxFileSize(): Promise<number | undefined> {
    const answer = await this.#call('GET', '/healthz', 200, (json) => {
      const files = isRecord(json) ? json.files : undefined;
      const max = isRecord(files) ? files.maxFileSize : undefined;
      return typeof max === 'number' && Number.isSafeInteger(max) && max >= 0 ? max : undefined;
    });
    return answer.ok ? answer.value : undefined;
  }

  #call<T>(
    method: string,
    path: string,
    expected: number,
    read: (json: unknown) => T | undefined,
    token?: string,
  ): Promise<FilesResult<T>> {
    return callNode(this.request, {
      method,
      path,
      expected,
      read,
      ...(token === undefined ? {} : { token }),
    });
  }
}
