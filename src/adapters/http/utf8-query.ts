// A query value whose percent-escapes must be UTF-8. Hono's `c.req.query` keeps an escape that does not decode
// (`%FF`) as its three characters, so `POST /files?name=%FF.txt` would publish a file named "%FF.txt": a value
// the client never meant, kept silently. Values that are stored (a file's name and description) are read here
// instead, and such a value is refused.

import { InvalidInput } from '../../domain/errors.js';

/** The first value of `key` in `url`'s query, decoded; `null` when its escapes are not UTF-8. */
export function utf8QueryValue(url: string, key: string): string | null | undefined {
  const at = url.indexOf('?');
  if (at < 0) return undefined;
  const query = url.slice(at + 1).split('#')[0] ?? '';
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=');
    const name = decodeLeniently(eq < 0 ? pair : pair.slice(0, eq));
    if (name !== key) continue;
    return eq < 0 ? '' : decodeLeniently(pair.slice(eq + 1));
  }
  return undefined;
}

/** `+` is a space and a `%` that starts no escape is itself (as Hono reads them); an escape that is not UTF-8 is `null`. */
function decodeLeniently(text: string): string | null {
  const escaped = text.replace(/\+/g, ' ').replace(/%(?![0-9A-Fa-f]{2})/g, '%25');
  try {
    return decodeURIComponent(escaped);
  } catch {
    return null;
  }
}

/** `utf8QueryValue`, with a value that is not UTF-8 refused as `code`, naming `what`. */
export function requireUtf8Query(url: string, key: string, code: string, what: string): string | undefined {
  const value = utf8QueryValue(url, key);
  if (value === null)
    throw new InvalidInput(
      code,
      `The ${what} (query parameter ${key}) is not UTF-8: its %XX escapes must encode UTF-8 text.`,
    );
  return value;
}
