/**
 * The frames of a peer link (SPEC section 8), JSON text over one WebSocket at `/peer`. The node that opened the
 * link sends requests; the node that accepted it answers each one, in any order, matched by `id`:
 *
 * - request `{id, method, path, headers?, body?}`: one node-to-node HTTP call, `body` the JSON value it carries;
 * - answer `{id, status, body, headers?}`: the HTTP status and the answer's text, exactly as the route answered
 *   it, and its `Meshchat-*` headers (the version of a `GET /users` list, say), when it has any.
 */
export const LINK_PATH = '/peer';

/** Largest frame either side takes (the same cap as an HTTP answer from a peer): `maxPayload` on both ends. */
export const MAX_LINK_FRAME_BYTES = 4 * 1024 * 1024;

/** The calls a link carries: those the `PeerClient` port makes. */
const METHODS = new Set(['GET', 'PUT', 'POST', 'DELETE']);
const MAX_PATH_LENGTH = 4096;
const MAX_HEADERS = 32;
const MAX_HEADER_LENGTH = 8192;
/** An HTTP header name (RFC 9110 token) and a value without control characters: what `Headers` accepts. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_VALUE = /^[^\0\r\n]*$/;

export interface LinkRequest {
  readonly id: number;
  readonly method: string;
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
}

export interface LinkAnswer {
  readonly id: number;
  readonly status: number;
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** The answer headers a link carries: meshchat's own (`Meshchat-Directory-Version`), none of HTTP's framing. */
export function isCarriedAnswerHeader(name: string): boolean {
  return name.toLowerCase().startsWith('meshchat-');
}

const isId = (id: unknown): id is number => Number.isSafeInteger(id) && (id as number) >= 0;

function asObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** A request frame, or `undefined` when it is not one this side will run (the link is then closed). */
export function parseLinkRequest(text: string): LinkRequest | undefined {
  const frame = asObject(text);
  if (!frame || !isId(frame.id)) return undefined;
  const { method, path, headers } = frame;
  if (typeof method !== 'string' || !METHODS.has(method)) return undefined;
  if (
    typeof path !== 'string' ||
    !path.startsWith('/') ||
    path.startsWith('//') ||
    path.length > MAX_PATH_LENGTH
  ) {
    return undefined;
  }
  const checked = headers === undefined ? {} : parseHeaders(headers);
  if (!checked) return undefined;
  return { id: frame.id, method, path, headers: checked, ...('body' in frame ? { body: frame.body } : {}) };
}

function parseHeaders(value: unknown): Record<string, string> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const entries = Object.entries(value);
  if (entries.length > MAX_HEADERS) return undefined;
  for (const [name, text] of entries) {
    if (typeof text !== 'string' || name.length + text.length > MAX_HEADER_LENGTH) return undefined;
    if (!HEADER_NAME.test(name) || !HEADER_VALUE.test(text)) return undefined;
  }
  return value as Record<string, string>;
}

/** An answer frame, or `undefined` when it is not one (the link is then closed). */
export function parseLinkAnswer(text: string): LinkAnswer | undefined {
  const frame = asObject(text);
  if (!frame || !isId(frame.id)) return undefined;
  const { status, body, headers } = frame;
  if (!Number.isInteger(status) || (status as number) < 100 || (status as number) > 599) return undefined;
  if (typeof body !== 'string') return undefined;
  if (headers === undefined) return { id: frame.id, status: status as number, body };
  const checked = parseHeaders(headers);
  if (!checked) return undefined;
  return { id: frame.id, status: status as number, body, headers: checked };
}
