import { DEFAULT_BACKOFF } from './backoff.js';
import type { ChatClient, ChatClientEvents, ChatClientOptions } from './chat-client-api.js';
import { Connection, DEFAULT_ATTEMPT_TIMEOUT_MS } from './connection.js';
import { Emitter } from './emitter.js';
import {
  isRecord,
  type MeshGraph,
  type NodeInfo,
  parseAck,
  parseHello,
  parseLoggedInUser,
  parseMesh,
  parseMessage,
  parseNodes,
  parsePresence,
  parseStatusEvent,
  parseWireError,
} from './frames.js';
import { readHistory } from './history-reader.js';
import { MessageLedger } from './message-ledger.js';
import { DEFAULT_GONE_NOTICE_MS, NodeDirectory } from './node-directory.js';
import { Outbox } from './outbox.js';
import { SentLedger, type StatusReport } from './sent-ledger.js';
import { systemTimers } from './timers.js';
import type { InboundFrame } from './transport.js';

export const DEFAULT_ACK_TIMEOUT_MS = 10_000;

/**
 * Builds a client over `options.transport`; it does nothing until `start()`. Every frame the node sends is
 * checked here and turned into events (see {@link ChatClientEvents}); nothing a node sends makes it throw.
 */
export function createChatClient(options: ChatClientOptions): ChatClient {
  const timers = options.timers ?? systemTimers();
  const events = new Emitter<ChatClientEvents>();
  const ledger = new MessageLedger();
  const sent = new SentLedger(ledger);
  const directory = new NodeDirectory(
    timers,
    (notices) => events.emit('notices', notices),
    options.goneNoticeMs ?? DEFAULT_GONE_NOTICE_MS,
  );
  let self: NodeInfo | undefined;
  let me: string | undefined;
  const loggedIn = (data: unknown) => {
    const user = parseLoggedInUser(data);
    if (user === undefined) return;
    me = user;
    events.emit('login', user);
  };
  let mesh: MeshGraph | undefined;
  /** Connections whose history was read; and the `reconnect` of the open one's, once it came. */
  let histories = 0;
  let connectionHistory: boolean | undefined;
  /** Where older history starts: the id to ask before, and whether the node keeps more. */
  let older: { before?: string; more: boolean } = { more: false };
  /** The `ref` of the `older` request under way on this connection. */
  let olderRef: string | undefined;
  let olderRefs = 0;

  const reportAll = (reports: readonly StatusReport[]) => {
    for (const report of reports) events.emit('status', report);
  };

  const outbox: Outbox = new Outbox({
    timers,
    sent,
    ackTimeoutMs: options.ackTimeoutMs ?? DEFAULT_ACK_TIMEOUT_MS,
    write: (message, ref) => connection.send(message, ref),
    settled: (ref, message, result, released) => {
      events.emit('ack', { ref, message, result });
      reportAll(released);
    },
  });

  const connection: Connection = new Connection(
    {
      transport: options.transport,
      timers,
      random: options.random ?? Math.random,
      since: () => ledger.since,
      onStatus: (status) => {
        if (status.state === 'open') {
          connectionHistory = undefined;
          olderRef = undefined;
          directory.connected();
          mesh = undefined;
          outbox.flush();
        } else if (directory.reachable) {
          directory.disconnected();
          outbox.connectionLost();
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
        events.emit('hello', node);
        return loggedIn(frame.data);
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
      case 'history': {
        if (!Array.isArray(frame.data)) return events.emit('malformed', 'a history frame that is not a list');
        const { items, malformed } = readHistory(frame.data, ledger, sent, self?.id);
        for (let i = 0; i < malformed; i++) events.emit('malformed', 'a history entry without a text');
        // On /ws a login's direct messages follow the connect-time history as a second frame: the same
        // connection's history, not a reconnect.
        const direct = connectionHistory !== undefined;
        if (connectionHistory === undefined) connectionHistory = histories++ > 0;
        const page = parsePage(frame.page);
        // The first page says where older history starts. After a reconnect, a page of nothing but news with
        // more behind it may have left a gap: paging goes back from it (what the client has is not shown twice).
        const allNew = items.length === frame.data.length && items.every((item) => item.kind === 'message');
        if (page && !direct && (!connectionHistory || (page.more && allNew))) older = page;
        return events.emit('history', { reconnect: connectionHistory, direct, items, more: older.more });
      }
      case 'older': {
        if (frame.ref === undefined || frame.ref !== olderRef) return;
        olderRef = undefined;
        const answer = isRecord(frame.data) ? frame.data : {};
        if (answer.ok !== true) return events.emit('error', parseWireError(answer.error));
        const page = parsePage(answer);
        const messages = Array.isArray(answer.messages) ? answer.messages : undefined;
        if (!page || !messages) return events.emit('malformed', 'an older answer without messages');
        older = page;
        const { items, malformed } = readHistory(messages, ledger, sent, self?.id);
        for (let i = 0; i < malformed; i++) events.emit('malformed', 'a history entry without a text');
        return events.emit('older', { items, more: page.more });
      }
      case 'status': {
        const event = parseStatusEvent(frame.data);
        if (!event) return events.emit('malformed', 'a status frame without an id and a status');
        return reportAll(sent.status(event, frame.data));
      }
      case 'ack':
        return outbox.ack(frame.ref, parseAck(frame.data));
      case 'error':
        return events.emit('error', parseWireError(frame.data));
      case 'auth':
        return loggedIn(frame.data);
      case 'presence': {
        const change = parsePresence(frame.data);
        if (!change) return events.emit('malformed', 'a presence frame without a user and a state');
        return events.emit('presence', change);
      }
    }
  };

  const onMessage = (data: unknown) => {
    const message = parseMessage(data);
    if (!message || !isRecord(data)) return events.emit('malformed', 'a msg frame without a text');
    if (!ledger.live(message)) return;
    const mine = message.from !== undefined && message.from === self?.id;
    const ownRef = mine ? sent.claim(message, false) : undefined;
    events.emit('message', { message, raw: data, ...(ownRef === undefined ? {} : { ownRef }) });
  };

  return {
    on: (event, listener) => events.on(event, listener),
    start: () => connection.start(),
    stop: () => {
      connection.stop();
      outbox.abandon({ ok: false, error: { code: 'connection_lost', message: 'the client was stopped' } });
    },
    reconnectNow: () => connection.reconnectNow(),
    setOnline: (online) => connection.setOnline(online),
    get connection() {
      return connection.status;
    },
    get self() {
      return self;
    },
    get me() {
      return me;
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
      return outbox.size;
    },
    get hasOlder() {
      return older.more && older.before !== undefined;
    },
    loadOlder: (limit) => {
      const { transport } = options;
      if (!older.more || older.before === undefined || olderRef !== undefined || !transport.older)
        return false;
      const ref = `older-${++olderRefs}`;
      if (!transport.older(older.before, limit, ref)) return false;
      olderRef = ref;
      return true;
    },
    // Stopped or refused: nothing opens the connection again until `start`, so the send fails at once.
    send: (message) =>
      outbox.add(
        message,
        connection.status.state === 'closed'
          ? { ok: false, error: { code: 'closed', message: 'not connected: the client is stopped' } }
          : undefined,
      ),
  };
}

/** A page's `{more, before?}`: undefined from a node that does not page (a plain or older node). */
function parsePage(value: unknown): { more: boolean; before?: string } | undefined {
  if (!isRecord(value) || typeof value.more !== 'boolean') return undefined;
  return typeof value.before === 'string' ? { more: value.more, before: value.before } : { more: value.more };
}
