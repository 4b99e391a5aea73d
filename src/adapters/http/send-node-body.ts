import { ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { Context } from 'hono';
import { takeRelease } from '../files/piece-release.js';

/**
 * Headers every answer of the app gets from its middleware after the route ran (`createHttpApp`); an answer
 * written straight to the Node response is past that middleware, so it carries them itself.
 */
const APP_HEADERS = { 'X-Content-Type-Options': 'nosniff' } as const;

/**
 * Sends a large body (a file's bytes) straight to the Node response under the app, with backpressure, rather
 * than as a web `ReadableStream` that `@hono/node-server` reads back chunk by chunk (a promise and a copy
 * through the web stream machinery per piece, paid on every hop of a fetched file). A Node `Readable` (a
 * file read from disk) is piped; any other async iterable is written piece by piece, waiting for `drain`.
 * When the client goes away or the body fails, the body is destroyed (its `finally` blocks run: files
 * closed, pins released) and the connection dropped, as `@hono/node-server` does for a stream that fails.
 * Returns the marker the node server knows as "already answered", or `undefined` when there is no Node
 * response to write to (`app.request()` in tests, a response already begun): the caller then answers with
 * a web `Response` as usual.
 */
export function sendNodeBody(
  c: Context,
  status: number,
  headers: Record<string, string>,
  body: AsyncIterable<Uint8Array>,
): Response | undefined {
  const outgoing = (c.env as { outgoing?: unknown } | undefined)?.outgoing;
  if (!(outgoing instanceof ServerResponse) || outgoing.headersSent) return undefined;
  outgoing.writeHead(status, { ...headers, ...APP_HEADERS });
  releaseOnceWritten(outgoing);
  pipeline(body, outgoing).catch(() => {
    // A client that went away, or a body that failed after its headers: the bytes sent cannot be taken
    // back, so the connection is dropped (`pipeline` destroyed both ends) and the client sees it cut short.
  });
  return RESPONSE_ALREADY_SENT;
}

/**
 * Has each piece `pipeline` writes to `outgoing` released (`piece-release`) from its write's callback: the
 * callback runs once the socket is done with the bytes (written to the kernel, or dropped with the connection),
 * so the piece's maker may then reuse its memory. `pipeline` writes a piece without a callback of its own.
 */
function releaseOnceWritten(outgoing: ServerResponse): void {
  const write = outgoing.write.bind(outgoing) as (chunk: unknown, ...rest: unknown[]) => boolean;
  outgoing.write = ((chunk: unknown, ...rest: unknown[]) => {
    const release = rest.length === 0 && chunk instanceof Uint8Array ? takeRelease(chunk) : undefined;
    return release ? write(chunk, () => release()) : write(chunk, ...rest);
  }) as ServerResponse['write'];
}

/**
 * Whether `response` is the marker `sendNodeBody` answers: middleware must leave it as it is (setting a
 * header on it makes a new `Response`, which the node server would then try to send a second time).
 */
export function sentDirectly(response: Response): boolean {
  return response === RESPONSE_ALREADY_SENT;
}
