import { io as connectSocket, type Socket } from 'socket.io-client';
import type { FrameType, OutgoingMessage, Transport, TransportHandlers } from '../../client/index.js';

/** The node → user events handed to the client; everything else is ignored. */
const EVENTS: readonly FrameType[] = [
  'hello',
  'nodes',
  'history',
  'mesh',
  'msg',
  'status',
  'error',
  'presence',
];

const REASONS: Record<string, string> = {
  'transport close': 'the connection closed',
  'transport error': 'the connection failed',
  'ping timeout': 'the node stopped answering',
  'io server disconnect': 'the node closed the session',
  'parse error': 'the node sent something unreadable',
};

/** socket.io's `connect_error` messages for a connection that failed, in a user's words. */
const CONNECT_ERRORS: Record<string, string> = {
  'xhr poll error': 'no answer: nothing took the connection, or it broke',
  'xhr post error': 'no answer: the connection broke',
  'websocket error': 'the connection failed',
  timeout: 'no answer in time',
};

/**
 * A failed connection in a user's words. Something that answered with an HTTP error (a wrong path in `--node`,
 * another web server on that port) says so: it is not "no answer".
 */
function connectError(err: Error & { description?: unknown }, path: string): string {
  if (err.message === 'xhr poll error' && typeof err.description === 'number' && err.description >= 400)
    return `HTTP ${err.description} for ${path}: no meshchat node answers at this URL`;
  return CONNECT_ERRORS[err.message] ?? err.message;
}

/**
 * The client's `Transport` over socket.io at the node's URL (SPEC §3). socket.io's own reconnection is off:
 * the client core decides when to dial again, and each attempt is a fresh connection whose handshake `auth`
 * carries the history cursor (`{since}`, or `{}` without one) and, when logged in, the login `token`.
 */
export class SocketIoTransport implements Transport {
  #socket: Socket | undefined;
  #handlers: TransportHandlers | undefined;

  /** `node`'s path is the prefix of socket.io's (`<path>/socket.io/`), not a namespace. */
  constructor(
    private readonly node: URL,
    private readonly attemptTimeoutMs: number,
    private readonly token?: string,
  ) {}

  open(since: number | undefined, handlers: TransportHandlers): void {
    this.close();
    const prefix = this.node.pathname.replace(/\/+$/, '');
    const socket = connectSocket(this.node.origin, {
      path: `${prefix}/socket.io/`,
      forceNew: true,
      reconnection: false,
      timeout: this.attemptTimeoutMs,
      auth: {
        ...(since === undefined ? {} : { since }),
        ...(this.token === undefined ? {} : { token: this.token }),
      },
    });
    this.#socket = socket;
    this.#handlers = handlers;
    const end = (reason: string, refused: boolean) => {
      if (this.#socket !== socket) return;
      this.close();
      handlers.onClose(refused ? { reason, refused } : { reason });
    };
    socket.on('connect', () => handlers.onOpen());
    socket.on('disconnect', (reason) => end(REASONS[reason] ?? reason, false));
    // `active` is false when the node itself refused the connection (a middleware error): no use retrying.
    socket.on('connect_error', (err) => end(connectError(err, `${prefix}/socket.io/`), !socket.active));
    for (const type of EVENTS) {
      // `history` has a second argument on a meshchat node: its page, `{more, before}`.
      socket.on(type as string, (data: unknown, page?: unknown) =>
        handlers.onFrame(page === undefined ? { type, data } : { type, data, page }),
      );
    }
  }

  send(message: OutgoingMessage, ref: string): boolean {
    const socket = this.#socket;
    const handlers = this.#handlers;
    if (!socket?.connected || !handlers) return false;
    const payload = {
      to: message.to,
      msg: message.msg,
      ...(message.user === undefined ? {} : { user: message.user }),
      ...(message.file === undefined ? {} : { file: message.file }),
    };
    socket.emit('msg', payload, (response: unknown) => {
      if (this.#socket === socket) handlers.onFrame({ type: 'ack', data: response, ref });
    });
    return true;
  }

  older(before: string, limit: number | undefined, ref: string): boolean {
    const socket = this.#socket;
    const handlers = this.#handlers;
    if (!socket?.connected || !handlers) return false;
    socket.emit('older', { before, ...(limit === undefined ? {} : { limit }) }, (response: unknown) => {
      if (this.#socket === socket) handlers.onFrame({ type: 'older', data: response, ref });
    });
    return true;
  }

  close(): void {
    const socket = this.#socket;
    this.#socket = undefined;
    this.#handlers = undefined;
    if (!socket) return;
    socket.removeAllListeners();
    socket.disconnect();
  }
}
