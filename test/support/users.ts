import { io, type Socket } from 'socket.io-client';
import WebSocket from 'ws';
import type { NodeRecord } from '../../src/domain/node-record.js';
import { runCli } from './processes.js';

export interface ReceivedMessage {
  id: string;
  from: string;
  to: string;
  msg: string;
  ts: string;
  user?: string;
  /** The node's history cursor for this entry (meshchat nodes only). */
  seq?: number;
  /** Set on history entries of messages this node's users sent. */
  status?: string;
}

/** A `status` event: how a message acknowledged `queued` settled at one destination node. */
export interface StatusEvent {
  id: string;
  to: string;
  node: string;
  status: 'delivered' | 'expired' | 'failed';
  seq?: number;
  error?: { code: string; message: string };
}

export interface Ack {
  ok: boolean;
  id?: string;
  status?: string;
  /** `retryAfter` (whole seconds) with `rate_limited` and `destination_busy`. */
  error?: { code: string; message: string; retryAfter?: number };
}

/** A person on a node, through some front end: what they received, and a way to send. */
export interface TestUser {
  readonly messages: ReceivedMessage[];
  readonly nodeLists: NodeRecord[][];
  /** Resolves with the node's acknowledgement; undefined where the front end gives none (the CLI's --json). */
  send(to: string, msg: string, user?: string): Promise<Ack | undefined>;
  /** Failures the front end reported outside acknowledgements. */
  errors(): string[];
  close(): void;
}

export interface SocketIoTestUser extends TestUser {
  readonly socket: Socket;
  /** Every `history` event, in order (a meshchat node sends one on connect). */
  readonly histories: ReceivedMessage[][];
  readonly statuses: StatusEvent[];
}

/**
 * `auth` is the socket.io handshake's, such as `{ since: 42 }` for the history cursor; `localAddress` the
 * loopback address to connect from (127.0.0.2 for a second client address).
 */
export async function connectSocketIoUser(
  url: string,
  options: { auth?: Record<string, unknown>; localAddress?: string } = {},
): Promise<SocketIoTestUser> {
  const socket = io(url, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    ...(options.auth ? { auth: options.auth } : {}),
    ...(options.localAddress ? { localAddress: options.localAddress } : {}),
  });
  const messages: ReceivedMessage[] = [];
  const nodeLists: NodeRecord[][] = [];
  const histories: ReceivedMessage[][] = [];
  const statuses: StatusEvent[] = [];
  socket.on('msg', (m: ReceivedMessage) => messages.push(m));
  socket.on('nodes', (n: NodeRecord[]) => nodeLists.push(n));
  socket.on('history', (h: ReceivedMessage[]) => histories.push(h));
  socket.on('status', (s: StatusEvent) => statuses.push(s));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return {
    socket,
    messages,
    nodeLists,
    histories,
    statuses,
    send: (to, msg, user) =>
      socket.timeout(10_000).emitWithAck('msg', { to, msg, ...(user ? { user } : {}) }),
    errors: () => [],
    close: () => socket.close(),
  };
}

/** `since` is the history cursor, sent as `/ws?since=N`; `localAddress` as for `connectSocketIoUser`. */
export async function connectWsUser(
  url: string,
  options: { since?: number; localAddress?: string } = {},
): Promise<TestUser & { frames: Record<string, unknown>[]; raw: WebSocket }> {
  const query = options.since === undefined ? '' : `?since=${options.since}`;
  const ws = new WebSocket(
    `${url.replace(/^http/, 'ws')}/ws${query}`,
    options.localAddress ? { localAddress: options.localAddress } : {},
  );
  const messages: ReceivedMessage[] = [];
  const nodeLists: NodeRecord[][] = [];
  const frames: Record<string, unknown>[] = [];
  const pending = new Map<string, (ack: Ack) => void>();
  let ref = 0;
  ws.on('message', (data) => {
    const frame = JSON.parse(data.toString()) as Record<string, unknown>;
    frames.push(frame);
    if (frame.type === 'msg') {
      const { type: _type, ...message } = frame;
      messages.push(message as unknown as ReceivedMessage);
    } else if (frame.type === 'nodes') nodeLists.push(frame.nodes as NodeRecord[]);
    else if (frame.type === 'ack' && typeof frame.ref === 'string') {
      pending.get(frame.ref)?.(frame as unknown as Ack);
      pending.delete(frame.ref);
    }
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return {
    raw: ws,
    frames,
    messages,
    nodeLists,
    send: (to, msg, user) =>
      new Promise<Ack>((resolve) => {
        const r = `r${++ref}`;
        pending.set(r, resolve);
        ws.send(JSON.stringify({ type: 'msg', to, msg, ref: r, ...(user ? { user } : {}) }));
      }),
    errors: () => frames.filter((f) => f.type === 'error').map((f) => JSON.stringify(f)),
    close: () => ws.close(),
  };
}

/**
 * A script on `meshchat chat --json` as a child process: lines to stdin, one JSON line per received message
 * on stdout, failures on stderr. `connected` is how the caller learns the node has seen it connect.
 */
export async function connectCliUser(url: string, connected: () => boolean): Promise<TestUser> {
  const chat = runCli(['chat', '--node', url, '--json']);
  const deadline = Date.now() + 10_000;
  while (!connected()) {
    if (Date.now() > deadline) throw new Error(`meshchat chat did not connect to ${url}: ${chat.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return {
    get messages() {
      return chat
        .stdout()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as ReceivedMessage);
    },
    nodeLists: [],
    send: async (to, msg, user) => {
      chat.child.stdin.write(`${JSON.stringify({ to, msg, ...(user ? { user } : {}) })}\n`);
      return undefined;
    },
    // Status events are reported on stderr too (as `{"status": …}` lines); they are not errors.
    errors: () =>
      chat
        .stderr()
        .split('\n')
        .filter((line) => line !== '' && !line.startsWith('{"status"')),
    close: () => chat.child.kill('SIGKILL'),
  };
}
