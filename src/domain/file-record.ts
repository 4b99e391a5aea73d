import { InvalidInput } from './errors.js';

/** Bytes of each piece a file is hashed in (SPEC section 6: 1 MiB unless a record states otherwise). */
export const FILE_CHUNK_SIZE = 1024 * 1024;
/** The default of `--max-file-size`. */
export const DEFAULT_MAX_FILE_SIZE = 4 * 1024 * 1024 * 1024;
/** Longest file name, in bytes of UTF-8 (what most file systems take as one path component). */
export const FILE_NAME_MAX_BYTES = 255;
export const FILE_DESCRIPTION_MAX_BYTES = 4096;
/** Longest media type kept; a longer one is replaced by the one the name suggests. */
/** The most downloads of one content a node keeps for its owners to see: the oldest go first. */
export const MAX_DOWNLOADS_PER_FILE = 100;
export const FILE_TYPE_MAX_LENGTH = 127;
export const FALLBACK_FILE_TYPE = 'application/octet-stream';

/**
 * A published file (SPEC section 6). `id` is the lower-case hex SHA-256 of the content, so two records with the
 * same id hold the same bytes; `chunks[i]` is the SHA-256 of bytes `[i * chunkSize, (i + 1) * chunkSize)`, so a
 * copy can be checked piece by piece. An empty file has no chunks.
 */
export interface FileRecord {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly size: number;
  readonly type: string;
  /** The publisher's address, `name@node`. */
  readonly owner: string;
  /** ISO-8601 UTC. */
  readonly publishedAt: string;
  readonly chunkSize: number;
  readonly chunks: readonly string[];
}

const HEX_SHA256 = /^[0-9a-f]{64}$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: a description keeps tabs and line breaks only
const DESCRIPTION_CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

function utf8Length(text: string): number {
  return new TextEncoder().encode(text).length;
}

export function isFileId(value: string): boolean {
  return HEX_SHA256.test(value);
}

/** Throws `InvalidInput` (`invalid_file_id`) unless `value` is 64 lower-case hex digits. */
export function assertFileId(value: string): string {
  if (!isFileId(value))
    throw new InvalidInput('invalid_file_id', 'A file id is the 64 lower-case hex digits of its SHA-256.');
  return value;
}

/** How many chunks a file of `size` bytes has. */
export function chunkCount(size: number, chunkSize = FILE_CHUNK_SIZE): number {
  return Math.ceil(size / chunkSize);
}

/**
 * A file name as it is kept: NFC, 1 to 255 bytes of UTF-8, no control characters, no `/` or `\`, not `.` or
 * `..`. A name is a label shown to people and sent in `Content-Disposition`; it is never used as a path, and
 * these rules make sure a client that does save it under that name cannot be led out of its directory.
 */
export function checkFileName(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw new InvalidInput('invalid_file_name', 'Give the file a name (the query parameter name).');
  const name = value.normalize('NFC');
  if (utf8Length(name) > FILE_NAME_MAX_BYTES)
    throw new InvalidInput(
      'invalid_file_name',
      `A file name is at most ${FILE_NAME_MAX_BYTES} bytes of UTF-8.`,
    );
  if (CONTROL.test(name))
    throw new InvalidInput('invalid_file_name', 'A file name cannot contain control characters.');
  if (/[/\\]/.test(name) || name === '.' || name === '..')
    throw new InvalidInput(
      'invalid_file_name',
      'A file name cannot contain "/" or "\\", nor be "." or "..".',
    );
  return name;
}

/**
 * Characters that reorder the text around them (bidi embeddings, overrides, isolates, the direction marks). A
 * name may hold them (they are not control characters), but a name saved with them can read as another: a file
 * saved as `report\u202Egnp.exe` shows as "reportexe.png". The front ends hold the same set
 * (`src/client/file-names.ts`, which builds without the domain).
 */
const TEXT_REORDERING = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;

/** The name a file is offered to be saved under (`Content-Disposition`): without text-reordering characters. */
export function nameToSaveAs(name: string): string {
  return name.replace(TEXT_REORDERING, '');
}

/** A description as it is kept: NFC, at most 4096 bytes of UTF-8, tabs and line breaks but no other controls. */
export function checkFileDescription(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value !== 'string')
    throw new InvalidInput('invalid_description', 'The description must be text.');
  const description = value.normalize('NFC');
  if (utf8Length(description) > FILE_DESCRIPTION_MAX_BYTES) {
    throw new InvalidInput(
      'invalid_description',
      `A description is at most ${FILE_DESCRIPTION_MAX_BYTES} bytes of UTF-8.`,
    );
  }
  if (DESCRIPTION_CONTROL.test(description))
    throw new InvalidInput('invalid_description', 'A description cannot contain control characters.');
  return description;
}

const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/;

/** Media types by extension, for a publisher who sent none (or only `application/octet-stream`). */
const BY_EXTENSION: Readonly<Record<string, string>> = {
  txt: 'text/plain',
  md: 'text/markdown',
  csv: 'text/csv',
  json: 'application/json',
  pdf: 'application/pdf',
  zip: 'application/zip',
  gz: 'application/gzip',
  tar: 'application/x-tar',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  svg: 'image/svg+xml',
  mp3: 'audio/mpeg',
  ogg: 'audio/ogg',
  wav: 'audio/wav',
  mp4: 'video/mp4',
  webm: 'video/webm',
  html: 'text/html',
  htm: 'text/html',
};

/**
 * The media type a file is kept and served with: the one the publisher sent, lower-cased and without
 * parameters, when it is a well-formed `type/subtype` of at most 127 characters other than
 * `application/octet-stream`; else the one its name's extension suggests; else `application/octet-stream`.
 */
export function fileType(declared: string | undefined, name: string): string {
  const essence = declared?.split(';')[0]?.trim().toLowerCase() ?? '';
  if (essence.length <= FILE_TYPE_MAX_LENGTH && MEDIA_TYPE.test(essence) && essence !== FALLBACK_FILE_TYPE)
    return essence;
  const extension = /\.([A-Za-z0-9]{1,8})$/.exec(name)?.[1]?.toLowerCase();
  return (extension && BY_EXTENSION[extension]) ?? FALLBACK_FILE_TYPE;
}

/** Most words a search takes, and longest query text. */
export const SEARCH_MAX_WORDS = 16;
export const SEARCH_MAX_LENGTH = 256;

/**
 * The words of a search: runs of letters and digits (NFKC, lower-case), at most 16, so no character of the
 * query is ever read as search syntax. An empty list matches nothing.
 */
export function searchWords(query: string): string[] {
  if (query.length > SEARCH_MAX_LENGTH)
    throw new InvalidInput('invalid_search', `A search is at most ${SEARCH_MAX_LENGTH} characters.`);
  const words =
    query
      .normalize('NFKC')
      .toLowerCase()
      .match(/[\p{L}\p{M}\p{N}]+/gu) ?? [];
  return [...new Set(words)].slice(0, SEARCH_MAX_WORDS);
}
