import type { OutgoingMessage, Transport, TransportHandlers } from './transport.js';
import { parseWsFrame, wsAuthFrame, wsOlderFrame, wsPath, wsSendFrame } from './ws-frames.js';

/**
 * What this transport needs of a WebSocket: the browser's `WebSocket` has it, and so has the `ws` package's.
 * The client core is compiled without the DOM's types, so it names the part it uses.
 */
export interface WebSocketLike {
  send(data: string): void;
  close(): void;
  addEventListener(type: 'open' | 'error', listener: () => void): void;
  addEventListener(type: 'message', listener: (event: { readonly data: unknown }) => void): void;
  addEventListener(type: 'close', listener: (event: { readonly code: number }) => void): void;
}

/** The close code of a `/ws` connection whose `auth` frame carried a bad token. */
export const WS_CLOSE_UNAUTHENTICATED = 4401;

/** Opens a WebSocket to `path` (the node's `/ws` with its query) on the node's origin; it may throw. */
export type WebSocketDialer = (path: string) => WebSocketLike;

/**
 * The client's `Transport` over a node's plain WebSocket at `/ws` (SPEC §3): the history cursor goes in the
 * query, each send is a `msg` frame with its `ref`, each text frame is read with `parseWsFrame` (a frame that
 * is not one is ignored). A browser cannot tell a refused upgrade from a network failure, so such a close is
 * not `refused`: the client keeps trying. With a `token`, every connection logs in with its first frame; the
 * node's close 4401 after it is `refused` with `loginRefused`, since the same token will never be taken.
 */
export class WebSocketTransport implements Transport {
  #socket: WebSocketLike | undefined;
  #open = false;

  constructor(
    private readonly dial: WebSocketDialer,
    private readonly token?: string,
  ) {}

  open(since: number | undefined, handlers: TransportHandlers): void {
    this.close();
    let socket: WebSocketLike;
    try {
      socket = this.dial(wsPath(since));
    } catch (error) {
      handlers.onClose({ reason: error instanceof Error ? error.message : 'the connection failed' });
      return;
    }
    this.#socket = socket;
    const current = () => this.#socket === socket;
    socket.addEventListener('open', () => {
      if (!current()) return;
      this.#open = true;
      if (this.token !== undefined) socket.send(wsAuthFrame(this.token));
      handlers.onOpen();
    });
    socket.addEventListener('message', (event) => {
      if (!current() || !this.#open || typeof event.data !== 'string') return;
      const frame = parseWsFrame(event.data);
      if (frame) handlers.onFrame(frame);
    });
    // An `error` is always followed by a `close`, which is the one that ends the connection.
    socket.addEventListener('close', (event) => {
      if (!current()) return;
      const loginRefused = this.token !== undefined && event.code === WS_CLOSE_UNAUTHENTICATED;
      const reason = loginRefused
        ? 'the node refused the login (the session expired or was signed out)'
        : this.#open
          ? 'the connection closed'
          : 'the connection failed';
      this.#socket = undefined;
      this.#open = false;
      handlers.onClose(loginRefused ? { reason, refused: true, loginRefused } : { reason });
    });
  }

  send(message: OutgoingMessage, ref: string): boolean {
    if (!this.#socket || !this.#open) return false;
    this.#socket.send(wsSendFrame(message, ref));
    return true;
  }

  older(before: string, limit: number | undefined, ref: string): boolean {
    if (!this.#socket || !this.#open) return false;
    this.#socket.send(wsOlderFrame(before, limit, ref));
    return true;
  }

  close(): void {
    const socket = this.#socket;
    this.#socket = undefined;
    this.#open = false;
    socket?.close();
  }
}
