import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createAdaptorServer } from '@hono/node-server';
import type { Hono } from 'hono';
import type { RateLimited } from '../../application/accounts/account-errors.js';

/** How long connections may take and how many one client address may hold; see `CONNECTION_DEFAULTS`. */
export interface ConnectionSettings {
  /** Simultaneous connections (HTTP, socket.io, `/ws`, `/peer`) per client address; 0 for no cap. */
  readonly maxPerAddress: number;
  /** A request's headers must all arrive within this (slowloris connections are closed). */
  readonly headersTimeoutMs: number;
  /**
   * A request's connection may go this long without a byte either way before it is dropped. There is no cap on
   * a whole request: an upload of gigabytes takes what it needs, but must not stall.
   */
  readonly requestIdleMs: number;
  /** An idle keep-alive connection is closed after this. */
  readonly keepAliveTimeoutMs: number;
  /** How often Node looks for connections past the two timeouts above. */
  readonly checkIntervalMs: number;
}

export const CONNECTION_DEFAULTS: ConnectionSettings = {
  maxPerAddress: 256,
  headersTimeoutMs: 10_000,
  requestIdleMs: 60_000,
  // Longer than a tunnel's or a load balancer's own idle timeout (often 60 s), so they close first.
  keepAliveTimeoutMs: 65_000,
  checkIntervalMs: 1_000,
};

/** The answer to a connection over its address's cap: said plainly, before the connection is dropped. */
const TOO_MANY = JSON.stringify({
  error: {
    code: 'too_many_connections',
    message: 'This address has too many connections open to the node; close some and try again.',
  },
});
const TOO_MANY_ANSWER =
  'HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n' +
  `Connection: close\r\nContent-Length: ${Buffer.byteLength(TOO_MANY)}\r\n\r\n${TOO_MANY}`;

/** The per-address HTTP budget as the server charges what the app never sees (socket.io, `/ws`). */
export interface AddressBudget {
  /** Takes one request from `request`'s client: undefined when admitted, else the refusal. */
  admitUpgrade(request: Pick<IncomingMessage, 'socket' | 'headers'>): RateLimited | undefined;
}

/** How a front end's path is served: see `claimUpgrades`. */
export interface ClaimOptions {
  /** Upgrades to the path are charged to the client address's HTTP budget here (429 when over it). */
  readonly charged?: boolean;
  /** Plain requests below the path (socket.io's long-polling) are the front end's, and charged too. */
  readonly requests?: boolean;
}

function refusalBody(refused: RateLimited): string {
  return JSON.stringify({ error: { code: refused.code, message: refused.message } });
}

/** The client address a socket was counted under against `maxPerAddress`, kept on the socket. */
const COUNTED_AS = Symbol('meshchat.countedAs');
type CountedSocket = Socket & { [COUNTED_AS]?: string };

/** The node's one HTTP server: the Hono API plus whatever front ends attach to its upgrade event. */
export class NodeHttpServer {
  readonly server: Server;
  /** Every socket, upgraded ones included: `closeAllConnections` does not reach those. */
  readonly #sockets = new Set<Socket>();
  readonly #upgradePaths = new Map<string, ClaimOptions>();
  #guarded = false;
  /** Open connections per client address, for the cap. */
  readonly #perAddress = new Map<string, number>();

  constructor(
    app: Hono,
    settings: Partial<ConnectionSettings> = {},
    private readonly budget?: AddressBudget,
  ) {
    const limits = { ...CONNECTION_DEFAULTS, ...settings };
    this.server = createAdaptorServer({
      fetch: app.fetch,
      serverOptions: {
        headersTimeout: limits.headersTimeoutMs,
        // Node's cap on a whole request is off (see `requestIdleMs`); upgraded sockets never see either.
        requestTimeout: 0,
        connectionsCheckingInterval: limits.checkIntervalMs,
      },
    }) as Server;
    this.server.keepAliveTimeout = limits.keepAliveTimeoutMs;
    this.server.on('request', (request: IncomingMessage) => {
      request.setTimeout(limits.requestIdleMs, () => request.destroy());
    });
    // `Expect: 100-continue` is answered by the route when it reads the body (`continueBody`), not by Node at
    // once: a request refused on its headers gets the refusal before its client sends the body.
    this.server.on('checkContinue', (request, response) => this.server.emit('request', request, response));
    // One listener for every socket's close (called with the socket as `this`), not two closures per socket.
    const sockets = this.#sockets;
    const perAddress = this.#perAddress;
    function onClose(this: Socket): void {
      sockets.delete(this);
      uncount(perAddress, (this as CountedSocket)[COUNTED_AS]);
    }
    this.server.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.on('close', onClose);
      this.#count(socket, limits.maxPerAddress);
    });
    this.server.on('upgrade', (request: IncomingMessage, socket: Duplex) => {
      if (this.#claimed(pathOf(request))) return;
      // An upgraded socket has no error listener of Node's any more: a reset must not crash the node.
      socket.on('error', () => socket.destroy());
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    });
  }

  /** Counts `socket` against its address; one over the cap is told so and dropped. */
  #count(socket: Socket, max: number): void {
    const address = socket.remoteAddress;
    if (max <= 0 || address === undefined) return;
    const open = (this.#perAddress.get(address) ?? 0) + 1;
    this.#perAddress.set(address, open);
    (socket as CountedSocket)[COUNTED_AS] = address;
    if (open <= max) return;
    socket.on('error', () => socket.destroy());
    socket.end(TOO_MANY_ANSWER);
    // A client that does not read the answer does not keep the connection either.
    setTimeout(() => socket.destroy(), 1_000).unref();
  }

  /**
   * A front end serves WebSocket upgrades at `path` (exact, or every path below it when it ends in "/"); an
   * upgrade to a path no front end claims is answered 404.
   */
  claimUpgrades(path: string, options: ClaimOptions = {}): void {
    this.#upgradePaths.set(path, options);
  }

  #claimed(path: string): boolean {
    return this.#claimOf(path) !== undefined;
  }

  #claimOf(path: string): ClaimOptions | undefined {
    for (const [claimed, options] of this.#upgradePaths) {
      if (claimed.endsWith('/') ? path.startsWith(claimed) : path === claimed) return options;
    }
    return undefined;
  }

  /**
   * Puts the address budget in front of every listener the front ends attached (socket.io answers its own
   * requests and upgrades, out of the app's reach): a charged upgrade or request over the budget is answered
   * `429` here, before any front end reads it.
   */
  #guard(): void {
    const budget = this.budget;
    if (this.#guarded || !budget) return;
    this.#guarded = true;
    const { server } = this;
    const requests = server.listeners('request') as ((...args: unknown[]) => void)[];
    server.removeAllListeners('request');
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      if (this.#claimOf(pathOf(request))?.requests) {
        const refused = budget.admitUpgrade(request);
        if (refused) {
          const body = refusalBody(refused);
          response.writeHead(429, {
            'content-type': 'application/json',
            'retry-after': String(refused.retryAfterSeconds),
            'content-length': Buffer.byteLength(body),
          });
          response.end(body);
          return;
        }
      }
      for (const listener of requests) listener.call(server, request, response);
    });
    const upgrades = server.listeners('upgrade') as ((...args: unknown[]) => void)[];
    server.removeAllListeners('upgrade');
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (this.#claimOf(pathOf(request))?.charged) {
        const refused = budget.admitUpgrade(request);
        if (refused) {
          const body = refusalBody(refused);
          socket.on('error', () => socket.destroy());
          socket.end(
            'HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\nContent-Type: application/json\r\n' +
              `Retry-After: ${refused.retryAfterSeconds}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
          );
          return;
        }
      }
      for (const listener of upgrades) listener.call(server, request, socket, head);
    });
  }

  /** Listens and resolves with the actual port (`port` 0 picks a free one). */
  listen(port: number, host: string): Promise<number> {
    this.#guard();
    return new Promise((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException) => {
        const why =
          error.code === 'EADDRINUSE'
            ? `port ${port} on ${host} is already in use (choose another with --port, or --port 0 for a free one)`
            : error.code === 'EADDRNOTAVAIL'
              ? `address ${host} is not an address of this machine (check --host)`
              : error.code === 'EACCES'
                ? `no permission to listen on port ${port} (ports below 1024 need privileges)`
                : error.message;
        reject(new Error(`Cannot listen: ${why}.`));
      };
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  /** Stops listening and drops every connection still open, so stopping never waits on a client. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
      for (const socket of this.#sockets) socket.destroy();
    });
  }
}

/** One connection of `address` (undefined: one never counted) closed. */
function uncount(perAddress: Map<string, number>, address: string | undefined): void {
  if (address === undefined) return;
  const left = (perAddress.get(address) ?? 1) - 1;
  if (left <= 0) perAddress.delete(address);
  else perAddress.set(address, left);
}

function pathOf(request: IncomingMessage): string {
  return (request.url ?? '').split('?')[0] ?? '';
}
