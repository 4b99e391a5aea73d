import type { Backoff } from './backoff.js';
import type { ConnectionStatus } from './connection.js';
import type {
  AckResult,
  ChatMessage,
  MeshGraph,
  NodeInfo,
  PresenceEvent,
  StatusEvent,
  WireError,
} from './frames.js';
import type { NodeNotice, PeerState, PeerView } from './node-directory.js';
import type { StatusReport } from './sent-ledger.js';
import type { Timers } from './timers.js';
import type { OutgoingMessage, Transport } from './transport.js';

// The public face of the client core: what `createChatClient` takes, returns and emits.

export interface ChatClientOptions {
  readonly transport: Transport;
  /** Default: the host's timers and `Date.now`. */
  readonly timers?: Timers;
  /** Default: `Math.random` (reconnect jitter). */
  readonly random?: () => number;
  /** Reconnect backoff (default 500 ms doubling to 2 s, ±25 %). */
  readonly backoff?: Backoff;
  /** An attempt not open after this long is retried (default 10 s). */
  readonly attemptTimeoutMs?: number;
  /** A send not acknowledged after this long fails with `ack_timeout` (default 10 s). */
  readonly ackTimeoutMs?: number;
  /** How long a dropped node's reason is awaited from the mesh map before it reads "gone" (default 3 s). */
  readonly goneNoticeMs?: number;
}

/** A live message. `ownRef`: the node's copy of a send of this client still waiting for its ack. */
export interface ReceivedMessage {
  readonly message: ChatMessage;
  /** The payload as the node sent it (fields this client does not know included). */
  readonly raw: Record<string, unknown>;
  readonly ownRef?: string;
}

/**
 * One entry of a `history` frame that the user should see: a message not seen before (`ownRef` when it is a
 * send of this client whose ack was lost), or the new status of a message seen before (`status`).
 */
export type HistoryItem =
  | {
      readonly kind: 'message';
      readonly message: ChatMessage;
      readonly raw: Record<string, unknown>;
      readonly ownRef?: string;
    }
  | { readonly kind: 'status'; readonly change: StatusEvent; readonly previous: string | undefined };

export interface HistoryBatch {
  /** False for the first connection's history; true after a reconnect (only what was missed). */
  readonly reconnect: boolean;
  /**
   * True for the second history of one connection: on `/ws`, the logged-in user's direct messages (after the
   * cursor, and their inbox), sent right after the `auth` answer. Its `reconnect` is the connection's.
   */
  readonly direct: boolean;
  readonly items: readonly HistoryItem[];
  /** The node keeps older messages than this page holds: `ChatClient.loadOlder` asks for them. */
  readonly more: boolean;
}

/** A page of older history, asked for with `ChatClient.loadOlder`: oldest first. */
export interface OlderBatch {
  readonly items: readonly HistoryItem[];
  /** Still older messages are kept: `loadOlder` again for them. */
  readonly more: boolean;
}

/** The outcome of one send, in the order the node answered. */
export interface AckReport {
  readonly ref: string;
  readonly message: OutgoingMessage;
  readonly result: AckResult;
}

export interface ChatClientEvents {
  connection: ConnectionStatus;
  hello: NodeInfo;
  /** The node's current list, as {@link ChatClient.nodes} returns it. */
  nodes: readonly PeerView[];
  /** Nodes that joined, changed state, came back or went, in one batch per change. */
  notices: readonly NodeNotice[];
  mesh: MeshGraph;
  message: ReceivedMessage;
  history: HistoryBatch;
  /** The answer to `loadOlder`. A refused request comes as an `error` instead. */
  older: OlderBatch;
  /** Emitted before the status reports the node sent ahead of it. */
  ack: AckReport;
  status: StatusReport;
  /** An `error` frame from the node. */
  error: WireError;
  /** The connection is logged in as this user (`name@node`): from `hello` (socket.io) or `auth` (`/ws`). */
  login: string;
  /** One of the node's users came online or went offline. */
  presence: PresenceEvent;
  /** A frame that was ignored because it was malformed; the words say which. */
  malformed: string;
}

export interface SendHandle {
  readonly ref: string;
  /** Settles with the ack, or `ack_timeout` / `connection_lost`; never rejects. */
  readonly done: Promise<AckResult>;
}

/**
 * The protocol client every front end shares: one connection to a node kept open, the frames checked, the
 * history cursor, the messages shown and sent with their statuses, and the node list with its notices. A
 * front end subscribes with `on` and renders; it never reads a frame itself.
 */
export interface ChatClient {
  on<K extends keyof ChatClientEvents>(event: K, listener: (value: ChatClientEvents[K]) => void): () => void;
  start(): void;
  /** Closes the connection; sends still waiting settle with `connection_lost`. */
  stop(): void;
  reconnectNow(): void;
  setOnline(online: boolean): void;
  readonly connection: ConnectionStatus;
  /** The node the client is connected to (from its `hello`). */
  readonly self: NodeInfo | undefined;
  /** The user this client is logged in as (`name@node`), once the node said so; undefined when anonymous. */
  readonly me: string | undefined;
  /** The history cursor sent on the next reconnect. */
  readonly since: number | undefined;
  /** The node's list with states as the client can tell them (`unknown` while its node is unreachable). */
  nodes(): PeerView[];
  /** Every node heard of, those no longer listed included. */
  knownNodes(): PeerView[];
  nodeState(id: string): PeerState | undefined;
  /** The latest mesh map of this connection, if the node sent one. */
  readonly mesh: MeshGraph | undefined;
  /**
   * Sends now, or as soon as the connection is open (within the ack timeout); while the client is stopped or
   * was refused, it fails at once with `closed`.
   */
  send(message: OutgoingMessage): SendHandle;
  /** Sends not yet acknowledged. */
  readonly pending: number;
  /** The node said it keeps messages older than the oldest this client has been sent. */
  readonly hasOlder: boolean;
  /**
   * Asks the node for the page of history before the oldest message this client has (at most `limit`, the
   * node's page without one); the answer is an `older` event. False when there is nothing to ask for, no
   * open connection, a request already under way, or a transport that cannot page.
   */
  loadOlder(limit?: number): boolean;
}
