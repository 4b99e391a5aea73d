import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { MiddlewareHandler } from 'hono';
import { RateLimited } from '../../application/accounts/account-errors.js';
import { classifyAddress } from '../../domain/peer-address.js';
import { RateLimiter } from '../../domain/rate-limiter.js';
import { type RateLimitSettings, retryAfterSeconds } from '../../domain/rate-limits.js';

/** The node-to-node routes (SPEC section 1 and the membership calls), which get the larger `peer` budget. */
const PEER_ROUTE = /^\/(?:nodes(?:\/|$)|msgs?\/?$|probe\/?$)/;

/**
 * A connection as the limits read it (`c.env.incoming` in the app): its TCP peer and its headers (a peer link's
 * are those of its upgrade, so every frame is charged to the link's client).
 */
export interface RateLimitedConnection {
  readonly socket?: { readonly remoteAddress?: string };
  readonly headers?: IncomingHttpHeaders;
}

export interface HttpRateLimitOptions {
  /** Milliseconds, any clock that does not jump (the node's `Clock`). */
  readonly now: () => number;
  /**
   * Behind a tunnel every request comes from the tunnel agent on loopback: then the client is the last
   * `X-Forwarded-For` entry, the one the tunnel wrote (entries before it are the client's own word).
   */
  readonly trustForwardedFor?: boolean;
}

/**
 * Token buckets per client address on every HTTP route, checked before the body is read or a route runs, so a
 * refusal costs a map lookup. Over the budget: `429 rate_limited` with `Retry-After`. A request that came
 * without a socket (`app.request()` in tests) has no address and is not limited.
 */
export class HttpRateLimits {
  readonly #http: RateLimiter;
  readonly #peer: RateLimiter;

  constructor(
    readonly settings: Pick<RateLimitSettings, 'http' | 'peer'>,
    private readonly options: HttpRateLimitOptions,
  ) {
    this.#http = new RateLimiter(settings.http);
    this.#peer = new RateLimiter(settings.peer);
  }

  middleware(): MiddlewareHandler {
    return async (c, next) => {
      const incoming = (c.env as { incoming?: Pick<IncomingMessage, 'socket'> } | undefined)?.incoming;
      const client = this.#clientOf(incoming?.socket?.remoteAddress, c.req.header('x-forwarded-for'));
      if (client !== undefined) {
        const refused = this.#take(PEER_ROUTE.test(c.req.path) ? this.#peer : this.#http, client);
        if (refused) throw refused;
      }
      await next();
    };
  }

  /**
   * Charges one request on `path` that did not come through the app (a message batch a peer link runs straight
   * from the route table) exactly as the middleware charges it: to `incoming`'s client, on the route's budget.
   * Undefined when admitted, else the refusal to answer with (`429`, `Retry-After`).
   */
  admitRequest(path: string, incoming: RateLimitedConnection): RateLimited | undefined {
    const forwarded = incoming.headers?.['x-forwarded-for'];
    const client = this.#clientOf(
      incoming.socket?.remoteAddress,
      Array.isArray(forwarded) ? forwarded.join(', ') : forwarded,
    );
    return client === undefined
      ? undefined
      : this.#take(PEER_ROUTE.test(path) ? this.#peer : this.#http, client);
  }

  /**
   * Charges a WebSocket upgrade that bypasses the app (a peer link at `/peer`) to its client's `http` budget, as
   * one request: undefined when admitted, else the refusal to answer with (`429`, `Retry-After`).
   */
  admitUpgrade(request: Pick<IncomingMessage, 'socket' | 'headers'>): RateLimited | undefined {
    const forwarded = request.headers['x-forwarded-for'];
    const client = this.#clientOf(
      request.socket?.remoteAddress,
      Array.isArray(forwarded) ? forwarded.join(', ') : forwarded,
    );
    return client === undefined ? undefined : this.#take(this.#http, client);
  }

  /**
   * Refuses `request`'s client every HTTP request and upgrade for `ms` (the node-to-node routes keep their own
   * budget): a user connection cut off for flooding cannot come straight back.
   */
  penalize(request: RateLimitedConnection, ms: number): void {
    const forwarded = request.headers?.['x-forwarded-for'];
    const client = this.#clientOf(
      request.socket?.remoteAddress,
      Array.isArray(forwarded) ? forwarded.join(', ') : forwarded,
    );
    if (client === undefined) return;
    this.#http.penalize(client, this.options.now(), ms);
  }

  #take(limiter: RateLimiter, client: string): RateLimited | undefined {
    const waitMs = limiter.take(client, this.options.now());
    if (waitMs === 0) return undefined;
    const seconds = retryAfterSeconds(waitMs);
    return new RateLimited(
      seconds,
      `Too many requests from this address; try again in ${seconds} second${seconds === 1 ? '' : 's'}.`,
    );
  }

  #clientOf(address: string | undefined, forwardedFor: string | undefined): string | undefined {
    return clientOf(address, forwardedFor, this.options.trustForwardedFor === true);
  }
}

/**
 * The client a request is charged to: its TCP peer, or behind a tunnel (`trustForwardedFor`, the peer on
 * loopback) the last `X-Forwarded-For` entry, the one the tunnel wrote. Undefined without a socket.
 */
export function clientOf(
  address: string | undefined,
  forwardedFor: string | undefined,
  trustForwardedFor: boolean,
): string | undefined {
  if (address === undefined || !trustForwardedFor) return address;
  if (classifyAddress(address) !== 'loopback') return address;
  const forwarded = forwardedFor?.split(',').at(-1)?.trim();
  return forwarded || address;
}

/** `clientOf` for a request or a WebSocket upgrade (socket.io's handshake, `/ws`). */
export function clientOfRequest(
  request: RateLimitedConnection | undefined,
  trustForwardedFor: boolean,
): string | undefined {
  const forwarded = request?.headers?.['x-forwarded-for'];
  return clientOf(
    request?.socket?.remoteAddress,
    Array.isArray(forwarded) ? forwarded.join(', ') : forwarded,
    trustForwardedFor,
  );
}
