import { DEFAULT_BACKOFF, type Backoff } from './backoff.js';
import { Connection, type ConnectionStatus, DEFAULT_ATTEMPT_TIMEOUT_MS } from './connection.js';
import { Emitter } from './emitter.js';
import {
  type AckResult,
  type ChatMessage,
  isRecord,
  type MeshGraph,
  type NodeInfo,
  parseAck,
  parseHello,
  parseMesh,
  parseMessage,
  parseNodes,
  parseStatusEvent,
  parseWireError,
  type StatusEvent,
  type WireError,
} from './frames.js';
import { MessageLedger } from './message-ledger.js';
import {
  DEFAULT_GONE_NOTICE_MS,
  NodeDirectory,
  type NodeNotice,
  type PeerState,
  type PeerView,
} from './node-directory.js';
import { SentLedger, type StatusReport } from './sent-ledger.js';
import { systemTimers, type TimerHandle, type Timers } from './timers.js';
import type { InboundFrame, OutgoingMessage, Transport } from './transport.js';

export const DEFAULT_ACK_TIMEOUT_MS = 10_000;

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
  readonly items: readonly HistoryItem[];
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
  /** Emitted before the status reports the node sent ahead of it. */
  ack: AckReport;
  status: StatusReport;
  /** An `error` frame from the node. */
  error: WireError;
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
}

interface Outgoing {
  readonly ref: string;
  readonly message: OutgoingMessage;
  written: boolean;
  timer: TimerHandle;
  settle: (result: AckResult) => void;
}

export function createChatClient(options: ChatClientOptions): ChatClient {
  const timers = options.timers ?? systemTimers();
  const ackTimeoutMs = options.ackTimeoutMs ?? DEFAULT_ACK_TIMEOUT_MS;
  const events = new Emitter<ChatClientEvents>();
  const ledger = new MessageLedger();
  const sent = new SentLedger(ledger);
  const directory = new NodeDirectory(
    timers,
    (notices) => events.emit('notices', notices),
    options.goneNoticeMs ?? DEFAULT_GONE_NOTICE_MS,
  );
  const outgoing = new Map<string, Outgoing>();
  let self: NodeInfo | undefined;
  let mesh: MeshGraph | undefined;
  let histories = 0;
  let refs = 0;

  const reportAll = (reports: readonly StatusReport[]) => {
    for (const report of reports) events.emit('status', report);
  };

  const flush = () => {
    for (const out of outgoing.values()) {
      if (!out.written && connection.send(out.message, out.ref)) {
        out.written = true;
        sent.sent(out.ref, out.message);
      }
    }
  };

  /** Sends written on a connection that dropped get no ack: the node may or may not have taken them. */
  const loseWritten = () => {
    for (const out of [...outgoing.values()]) {
      if (!out.written) continue;
      finish(
        out,
        {
          ok: false,
          error: {
            code: 'connection_lost',
            message: 'the connection was lost before the node acknowledged the message; it may still arrive',
          },
        },
        'lost',
      );
    }
  };

  const finish = (out: Outgoing, result: AckResult, how: 'ack' | 'lost' | 'timeout') => {
    outgoing.delete(out.ref);
    timers.clearTimeout(out.timer);
    const held = how === 'ack' ? sent.ack(out.ref, result) : sent.drop(out.ref, how === 'lost');
    out.settle(result);
    events.emit('ack', { ref: out.ref, message: out.message, result });
    reportAll(held);
  };

  const connection = new Connection(
    {
      transport: options.transport,
      timers,
      random: options.random ?? Math.random,
      since: () => ledger.since,
      onStatus: (status) => {
        if (status.state === 'open') {
          directory.connected();
          mesh = undefined;
          flush();
        } else if (directory.reachable) {
          directory.disconnected();
          loseWritten();
        }
        events.emit('connection', status);
      },
      onFrame: (frame) => onFrame(frame),
    },
    {
      backoff: options.backoff ?? DEFAULT_BACKOFF,
      attemptTimeoutMs: options.attemptTimeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS,
    },
  );

  const onFrame = (frame: InboundFrame) => {
    switch (frame.type) {
      case 'hello': {
        const node = parseHello(frame.data);
        if (!node) return events.emit('malformed', 'a hello frame without a node');
        self = node;
        directory.setSelf(node.id);
        return events.emit('hello', node);
      }
      case 'nodes': {
        const list = parseNodes(frame.data);
        if (!list) return events.emit('malformed', 'a nodes frame that is not a list');
        directory.nodes(list);
        return events.emit('nodes', directory.listed());
      }
      case 'mesh': {
        const graph = parseMesh(frame.data);
        if (!graph) return events.emit('malformed', 'a mesh frame without a node list');
        mesh = graph;
        directory.mesh(graph);
        return events.emit('mesh', graph);
      }
      case 'msg':
        return onMessage(frame.data);
      case 'history':
        return onHistory(frame.data);
      case 'status': {
        const event = parseStatusEvent(frame.data);
        if (!event) return events.emit('malformed', 'a status frame without an id and a status');
        return reportAll(sent.status(event, frame.data));
      }
      case 'ack': {
        const out = frame.ref === undefined ? undefined : outgoing.get(frame.ref);
        if (out) finish(out, parseAck(frame.data), 'ack');
        return;
      }
      case 'error':
        return events.emit('error', parseWireError(frame.data));
    }
  };

  const onMessage = (data: unknown) => {
    const message = parseMessage(data);
    if (!message || !isRecord(data)) return events.emit('malformed', 'a msg frame without a text');
    if (!ledger.live(message)) return;
    const ownRef =
      message.from !== undefined && message.from === self?.id ? sent.claim(message, false) : undefined;
    events.emit('message', { message, raw: data, ...(ownRef === undefined ? {} : { ownRef }) });
  };

  const onHistory = (data: unknown) => {
    if (!Array.isArray(data)) return events.emit('malformed', 'a history frame that is not a list');
    const reconnect = histories > 0;
    histories++;
    const items: HistoryItem[] = [];
    for (const raw of data) {
      const entry = parseMessage(raw);
      if (!entry || !isRecord(raw)) {
        events.emit('malformed', 'a history entry without a text');
        continue;
      }
      const previous = entry.id === undefined ? undefined : ledger.told(entry.id);
      const decision = ledger.history(entry);
      if (decision === 'show') {
        const mine = entry.status !== undefined && entry.from !== undefined && entry.from === self?.id;
        const ownRef = mine ? sent.claim(entry, true) : undefined;
        items.push({ kind: 'message', message: entry, raw, ...(ownRef === undefined ? {} : { ownRef }) });
      } else if (decision === 'status' && entry.id !== undefined && entry.status !== undefined) {
        const change: StatusEvent = { id: entry.id, status: entry.status };
        if (entry.to !== undefined) change.to = entry.to;
        if (entry.seq !== undefined) change.seq = entry.seq;
        items.push({ kind: 'status', change, previous });
      }
    }
    events.emit('history', { reconnect, items });
  };

  return {
    on: (event, listener) => events.on(event, listener),
    start: () => connection.start(),
    stop: () => {
      connection.stop();
      for (const out of [...outgoing.values()]) {
        finish(
          out,
          { ok: false, error: { code: 'connection_lost', message: 'the client was stopped' } },
          'lost',
        );
      }
    },
    reconnectNow: () => connection.reconnectNow(),
    setOnline: (online) => connection.setOnline(online),
    get connection() {
      return connection.status;
    },
    get self() {
      return self;
    },
    get since() {
      return ledger.since;
    },
    nodes: () => directory.listed(),
    knownNodes: () => directory.known(),
    nodeState: (id) => directory.state(id),
    get mesh() {
      return mesh;
    },
    get pending() {
      return outgoing.size;
    },
    send: (message) => {
      const ref = `r${++refs}`;
      let settle: (result: AckResult) => void = () => {};
      const done = new Promise<AckResult>((resolve) => {
        settle = resolve;
      });
      const out: Outgoing = {
        ref,
        message,
        written: false,
        settle,
        timer: timers.setTimeout(() => {
          const seconds = Math.round(ackTimeoutMs / 100) / 10;
          const error = {
            code: 'ack_timeout',
            message: `no acknowledgement from the node within ${seconds} s`,
          };
          finish(out, { ok: false, error }, 'timeout');
        }, ackTimeoutMs),
      };
      outgoing.set(ref, out);
      // Stopped or refused: nothing will open the connection again unless `start` is called.
      if (connection.status.state === 'closed') {
        finish(
          out,
          { ok: false, error: { code: 'closed', message: 'not connected: the client is stopped' } },
          'lost',
        );
      } else {
        flush();
      }
      return { ref, done };
    },
  };
}
