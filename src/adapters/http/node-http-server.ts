import type { Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { Hono } from 'hono';

/** The node's one HTTP server: the Hono API plus whatever front ends attach to its upgrade event. */
export class NodeHttpServer {
  readonly server: Server;
  /** Every socket, upgraded ones included: `closeAllConnections` does not reach those. */
  readonly #sockets = new Set<Socket>();

  constructor(app: Hono) {
    this.server = createAdaptorServer({ fetch: app.fetch }) as Server;
    this.server.keepAliveTimeout = 65_000;
    this.server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
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
