import type { ByteRange } from '../../application/ports/files/content-store.js';

/** What to send for a `Range` request (RFC 9110 section 14): the whole, one range, or `416`. */
export type RangeAnswer =
  | { readonly kind: 'whole' }
  | { readonly kind: 'partial'; readonly range: ByteRange }
  | { readonly kind: 'unsatisfiable' };

const SINGLE = /^bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i;

/** A decimal position; past 15 digits it is larger than any file, so it is capped rather than rounded. */
function position(digits: string): number {
  return digits.length > 15 ? Number.MAX_SAFE_INTEGER : Number(digits);
}

/**
 * Resolves a `Range` header against a representation of `size` bytes whose strong validator is `etag`.
 * `bytes=a-b`, `bytes=a-` and `bytes=-n` are served; an end past the last byte is cut to it. Ranges that do
 * not parse, several ranges at once, or an `If-Range` that is not this ETag (a date included: no
 * `Last-Modified` is sent) get the whole representation, as RFC 9110 lets a server do. A first byte at or past
 * the end, or an empty suffix, is `unsatisfiable`.
 */
export function resolveRange(
  header: string | undefined,
  ifRange: string | undefined,
  size: number,
  etag: string,
): RangeAnswer {
  if (header === undefined) return { kind: 'whole' };
  if (ifRange !== undefined && ifRange.trim() !== etag) return { kind: 'whole' };
  const match = SINGLE.exec(header.trim());
  if (!match) return { kind: 'whole' };
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return { kind: 'whole' };
  if (first === '') {
    const suffix = position(last);
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', range: { start: Math.max(0, size - suffix), end: size - 1 } };
  }
  const start = position(first);
  if (last !== '' && position(last) < start) return { kind: 'whole' };
  if (start >= size) return { kind: 'unsatisfiable' };
  const end = last === '' ? size - 1 : Math.min(position(last), size - 1);
  return { kind: 'partial', range: { start, end } };
}

/**
 * Whether an `If-None-Match` header names `etag` (or is `*`): the client already has these bytes, and a `GET`
 * is answered `304` (RFC 9110 section 13.1.2, weak comparison). A file's ETag is its content id, so it never
 * changes: a client holding a complete, checked copy revalidates it with no byte sent.
 */
export function noneMatchHit(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.split(',').some((tag) => {
    const trimmed = tag.trim();
    return trimmed === '*' || trimmed.replace(/^W\//, '') === etag;
  });
}
