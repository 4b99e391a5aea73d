import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import { Unauthenticated } from '../../application/accounts/account-errors.js';

/** RFC 6750's `b64token`, after `Bearer` and spaces. */
const BEARER = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i;

/**
 * The token of an `Authorization: Bearer <token>` header, or undefined when there is no header (the use case
 * then refuses it as missing). A header that is there but not a bearer token is refused here, saying so.
 */
export function bearerToken(c: Context): string | undefined {
  const header = c.req.header('authorization');
  if (header === undefined) return undefined;
  const match = BEARER.exec(header);
  if (!match) throw new Unauthenticated('The Authorization header must be "Bearer <token>"; log in first.');
  return match[1];
}

/**
 * The network address the request came from, for the failed-login limit per address: the TCP peer's, never a
 * header a client can write (`X-Forwarded-For`). Undefined when the app is called without a socket (tests).
 */
export function clientAddress(c: Context): string | undefined {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  return incoming?.socket?.remoteAddress;
}
