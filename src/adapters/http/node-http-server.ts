import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createAdaptorServer } from '@hono/node-server';
import type { Hono } from 'hono';

/** How long a request's connection may stay silent (no byte either way) before it is dropped. */
export const REQUEST_IDLE_MS = 60_000;

/** The node's one HTTP server: the Hono API plus whatever front ends attach to its upgrade event. */
export class NodeHttpServer {
  readonly server: Server;
  /** Every socket, upgraded ones included: `closeAllConnections` does not reach those. */
  readonly #sockets = new Set<Socket>();
  readonly #upgradePaths = new Set<string>();

  constructor(app: Hono, options: { readonly requestIdleMs?: number } = {}) {
    this.server = createAdaptorServer({ fetch: app.fetch }) as Server;
    this.server.keepAliveTimeout = 65_000;
    // A request may take as long as its body needs (a file of gigabytes) but must not stall: Node's 300 s cap
    // on a whole request is off, and a request whose connection goes silent is dropped instead. Headers keep
    // Node's own deadline (`headersTimeout`); upgraded sockets never see this ('request' is not emitted).
    this.server.requestTimeout = 0;
    const idleMs = options.requestIdleMs ?? REQUEST_IDLE_MS;
    this.server.on('request', (request: IncomingMessage) => {
      request.setTimeout(idleMs, () => request.destroy());
    });
    // `Expect: 100-continue` is answered by the route when it reads the body (`continueBody`), not by Node at
    // once: a request refused on its headers gets the refusal before its client sends the body.
    this.server.on('checkContinue', (request, response) => this.server.emit('request', request, response));
    this.server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
    this.server.on('upgrade', (request: IncomingMessage, socket: Duplex) => {
      const path = (request.url ?? '').split('?')[0] ?? '';
      if (this.#claimed(path)) return;
      // An upgraded socket has no error listener of Node's any more: a reset must not crash the node.
      socket.on('error', () => socket.destroy());
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    });
  }

  /**
   * A front end serves WebSocket upgrades at `path` (exact, or every path below it when it ends in "/"); an
   * upgrade to a path no front end claims is answered 404.
   */
  claimUpgrades(path: string): void {
    this.#upgradePaths.add(path);
  }

  #claimed(path: string): boolean {
    for (const claimed of this.#upgradePaths) {
      if (claimed.endsWith('/') ? path.startsWith(claimed) : path === claimed) return true;
    }
    return false;
  }

  /** Listens and resolves with the actual port (`port` 0 picks a free one). */
  listen(port: number, host: string): Promise<number> {
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
