import { nameToSaveAs } from '../../domain/file-record.js';

/**
 * `attachment` with the file's name (RFC 6266): `filename` is an ASCII stand-in (anything else, quotes and
 * backslashes become `_`) for old clients, `filename*` the exact name in UTF-8, percent-encoded (RFC 8187), so
 * no name can break out of the header or its quoting; text-reordering characters are left out of both, so the
 * name a browser or `curl -OJ` saves under reads as it ends (`nameToSaveAs`).
 */
export function contentDisposition(given: string): string {
  const name = nameToSaveAs(given);
  const ascii = name.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const encoded = encodeURIComponent(name).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
