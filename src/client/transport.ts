import type { FileReference } from './frames.js';

/** What a user sends: a message `{to, msg, user?, file?}` (SPEC §3; `file` from SPEC §6). */
export interface OutgoingMessage {
  readonly to: string;
  readonly msg: string;
  readonly user?: string;
  /** A published file the message points to, shown to its readers as a download card. */
  readonly file?: FileReference;
}

/** The kinds of frame a node sends its users; any other kind is ignored. */
export type FrameType =
  | 'hello'
  | 'nodes'
  | 'history'
  | 'mesh'
  | 'msg'
  | 'status'
  | 'error'
  | 'ack'
  | 'presence'
  | 'auth'
  | 'older';

/**
 * One frame from the node, in socket.io's shape whatever the transport: `data` is the event's payload (for
 * `nodes` and `history` the array itself). An `ack` carries the `ref` its send was given.
 */
export interface InboundFrame {
  readonly type: FrameType;
  readonly data: unknown;
  readonly ref?: string;
  /** A `history` frame's page: `{more, before?}` (socket.io's second argument, the `/ws` frame's fields). */
  readonly page?: unknown;
}

/** Why a connection ended. `refused`: the node turned the connection away (retrying the same way is pointless). */
export interface TransportClose {
  readonly reason: string;
  readonly refused?: boolean;
  /** The node refused the connection's login token (unknown, expired or revoked): with `refused`. */
  readonly loginRefused?: boolean;
}

export interface TransportHandlers {
  /** The connection is open; frames may follow. Called at most once per `open`. */
  onOpen(): void;
  onFrame(frame: InboundFrame): void;
  /**
   * The connection ended, or the attempt failed. Called at most once per `open`, never after `close()`. A
   * transport must call it promptly when the link drops: the client's reconnecting depends on it.
   */
  onClose(close: TransportClose): void;
}

/**
 * One way to reach a node (socket.io for the CLI, the browser's WebSocket at `/ws` for the page). It dials
 * once per `open` and never reconnects by itself: the client decides when to try again. At most one
 * connection is open at a time.
 */
export interface Transport {
  /** Starts one connection attempt that asks for the history after `since` (all kept history without one). */
  open(since: number | undefined, handlers: TransportHandlers): void;
  /**
   * Sends one message on the open connection; the node's answer comes back as an `ack` frame with this
   * `ref`. Returns false when there is no open connection (nothing was sent).
   */
  send(message: OutgoingMessage, ref: string): boolean;
  /**
   * Asks for the page of history before message `before` (at most `limit`, the node's page without one); the
   * answer comes back as an `older` frame with this `ref`. Returns false when there is no open connection.
   * Absent on a transport that cannot page.
   */
  older?(before: string, limit: number | undefined, ref: string): boolean;
  /** Ends the current connection or attempt, if any; no handler is called for it afterwards. Idempotent. */
  close(): void;
}
