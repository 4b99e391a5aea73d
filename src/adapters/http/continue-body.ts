import type { ServerResponse } from 'node:http';
import type { Context } from 'hono';

/**
 * Sends `100 Continue` to a client that asked for it (`Expect: 100-continue`), once, when the route is about
 * to read the body. `NodeHttpServer` defers that answer to the route, so a request refused on its headers
 * (no login, a name taken, a `Content-Length` over the limit) gets its refusal before sending a byte. Does
 * nothing without a Node response under the app (`app.request()` in tests) or once an answer has begun.
 */
export function continueBody(c: Context): void {
  if (c.req.header('expect')?.toLowerCase() !== '100-continue') return;
  const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
  if (!outgoing || outgoing.headersSent || CONTINUED.has(outgoing)) return;
  CONTINUED.add(outgoing);
  outgoing.writeContinue();
}

/** Responses already told to continue; weak, so a finished response is forgotten with it. */
const CONTINUED = new WeakSet<ServerResponse>();

/** A request body read as bytes, with `100 Continue` sent when (and only when) it is first read. */
export function bodyOf(c: Context): AsyncIterable<Uint8Array> {
  return {
    async *[Symbol.asyncIterator]() {
      continueBody(c);
      const body = c.req.raw.body;
      if (body) yield* body;
    },
  };
}
