import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { Server, type Socket as ServerSocket } from 'socket.io';
import { afterEach, describe, expect, it } from 'vitest';
import { formatAck, formatHistoryHeader, formatMessage, formatStatus } from '../../src/cli/chat/format.js';
import { type ChatOptions, runChat } from '../../src/cli/chat/run-chat.js';
import { MessageLedger } from '../../src/client/index.js';
import { closedPort } from '../support/free-port.js';

// ---------------------------------------------------------------------------------------------------------
// Helpers

/** Polls `condition` until it holds; fails with `what` after `timeoutMs`. */
async function waitFor(condition: () => boolean, timeoutMs = 4000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

class Capture {
  readonly stream = new PassThrough();
  text = '';
  constructor() {
    this.stream.setEncoding('utf8');
    this.stream.on('data', (chunk: string) => {
      this.text += chunk;
    });
  }
  lines(): string[] {
    return this.text.split('\n').filter((line) => line !== '');
  }
}

interface OutgoingPayload {
  to?: unknown;
  msg?: unknown;
  user?: unknown;
}

type AckFn = (response: unknown) => void;

interface FakeNode {
  url: string;
  io: Server;
  sockets: ServerSocket[];
  received: OutgoingPayload[];
  heldAcks: AckFn[];
  /** The handshake `auth` of every connection, in order. */
  auths: unknown[];
  /** The history sent on the next connections (given the handshake's `since`); empty by default. */
  history: (since: unknown) => unknown[];
  /** The history event's second argument (a meshchat node's page), when set. */
  page?: { more: boolean; before?: string };
  /** Answers an `older` request; every request is kept in `olderAsked`. */
  older: (query: unknown) => unknown;
  olderAsked: unknown[];
  /** The node list sent to the connection with this index (0 for the first); n1, n2 and n3 by default. */
  nodeList: (connection: number) => unknown[];
  /** While set, connections are refused with this error (as a private node refuses anonymous users). */
  refuse?: string;
}

const nodes: FakeNode[] = [];

/**
 * A socket.io server behaving like a meshchat node `n1`: hello + nodes + history on connect, acks `msg`
 * events. msg "please fail" → refused; msg "slow" → ack held in `heldAcks`; msg "no ack" → never
 * acknowledged; msg "all at once" → delivered; anything else is delivered to n1 and queued for other nodes.
 */
async function startNode(): Promise<FakeNode> {
  const http = createServer();
  const io = new Server(http);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  const node: FakeNode = {
    url: `http://127.0.0.1:${port}`,
    io,
    sockets: [],
    received: [],
    heldAcks: [],
    auths: [],
    history: () => [],
    older: () => ({ ok: true, messages: [], more: false }),
    olderAsked: [],
    nodeList: () => [
      { id: 'n1', url: node.url, state: 'alive' },
      { id: 'n2', url: 'http://127.0.0.1:9/', state: 'suspect' },
      { id: 'n3', url: 'https://n3.example' },
    ],
  };
  let counter = 0;
  io.use((_socket, next) => next(node.refuse === undefined ? undefined : new Error(node.refuse)));
  io.on('connection', (socket) => {
    node.sockets.push(socket);
    const auth: unknown = socket.handshake.auth;
    node.auths.push(auth);
    socket.emit('hello', { node: { id: 'n1', url: node.url } });
    socket.emit('nodes', node.nodeList(node.sockets.length - 1));
    const since = typeof auth === 'object' && auth !== null ? (auth as { since?: unknown }).since : undefined;
    if (node.page) socket.emit('history', node.history(since), node.page);
    else socket.emit('history', node.history(since));
    socket.on('older', (query: unknown, ack: AckFn) => {
      node.olderAsked.push(query);
      ack(node.older(query));
    });
    socket.on('msg', (payload: OutgoingPayload, ack: AckFn) => {
      node.received.push(payload);
      counter += 1;
      if (payload.msg === 'please fail') {
        ack({ ok: false, error: { code: 'unknown_node', message: `node ${String(payload.to)} is unknown` } });
      } else if (payload.msg === 'racy') {
        // A copy delivered at the first attempt: its status event overtakes the ack, as it may on a real node.
        const id = `m${counter}`;
        socket.emit('status', {
          id,
          to: payload.to,
          node: payload.to === '*' ? 'n2' : payload.to,
          status: 'delivered',
        });
        ack({ ok: true, id, status: payload.to === '*' ? 'queued' : 'delivered' });
      } else if (payload.msg === 'slow') {
        node.heldAcks.push(ack);
      } else if (payload.msg !== 'no ack') {
        const delivered = payload.to === 'n1' || payload.msg === 'all at once';
        ack({ ok: true, id: `m${counter}`, status: delivered ? 'delivered' : 'queued' });
      }
    });
  });
  nodes.push(node);
  return node;
}

interface RunningChat {
  stdin: PassThrough;
  out: Capture;
  err: Capture;
  done: Promise<number>;
  settled: () => boolean;
}

const chats: RunningChat[] = [];

function startChat(argv: string[], options?: ChatOptions): RunningChat {
  const stdin = new PassThrough();
  const out = new Capture();
  const err = new Capture();
  let isSettled = false;
  const done = runChat(argv, { stdin, stdout: out.stream, stderr: err.stream }, options).finally(() => {
    isSettled = true;
  });
  const chat = { stdin, out, err, done, settled: () => isSettled };
  chats.push(chat);
  return chat;
}

/** A local port nothing listens on. */
async function closedPortUrl(): Promise<string> {
  return `http://127.0.0.1:${await closedPort()}`;
}

function jsonLines(text: string): unknown[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as unknown);
}

afterEach(async () => {
  for (const chat of chats.splice(0)) {
    if (!chat.settled()) {
      chat.stdin.end();
      await Promise.race([chat.done, new Promise((resolve) => setTimeout(resolve, 5000))]);
    }
  }
  for (const node of nodes.splice(0)) {
    node.io.disconnectSockets(true);
    await node.io.close();
  }
});

// ---------------------------------------------------------------------------------------------------------

describe('meshchat chat --json', () => {
  it('sends stdin lines, prints received messages as single JSON lines and reports failures on stderr', async () => {
    const node = await startNode();
    const chat = startChat(['--node', node.url, '--json', '--user', 'ann']);
    await waitFor(() => node.sockets.length === 1, 4000, 'the client to connect');

    chat.stdin.write('{"to":"n2","msg":"hello mesh"}\n');
    chat.stdin.write('this is not json\n');
    chat.stdin.write('{"to":"ghost","msg":"please fail","user":"zed"}\n');
    await waitFor(() => node.received.length === 2, 4000, 'two messages at the node');
    expect(node.received[0]).toEqual({ to: 'n2', msg: 'hello mesh', user: 'ann' });
    expect(node.received[1]).toEqual({ to: 'ghost', msg: 'please fail', user: 'zed' });

    const incoming = {
      id: 'x1',
      from: 'n2',
      to: 'n1',
      msg: 'hi there',
      ts: '2024-05-01T12:34:56.000Z',
      user: 'bob',
    };
    node.io.emit('msg', incoming);
    node.io.emit('msg', incoming); // same id again: shown once
    node.io.emit('msg', { id: 'x2', from: 'n3', to: 'n1', msg: 'second' });
    await waitFor(() => chat.out.lines().length >= 2, 4000, 'two messages on stdout');
    expect(jsonLines(chat.out.text)).toEqual([incoming, { id: 'x2', from: 'n3', to: 'n1', msg: 'second' }]);

    await waitFor(() => chat.err.lines().length >= 2, 4000, 'two errors on stderr');
    const errors = jsonLines(chat.err.text) as Array<{
      error: { code: string; message: string };
      line: number;
    }>;
    expect(errors).toHaveLength(2);
    const badJson = errors.find((e) => e.line === 2);
    expect(badJson?.error.code).toBe('bad_json');
    const refused = errors.find((e) => e.line === 3);
    expect(refused?.error).toEqual({ code: 'unknown_node', message: 'node ghost is unknown' });

    chat.stdin.end();
    expect(await chat.done).toBe(1);
    // stdout holds nothing but the received messages
    expect(chat.out.lines()).toHaveLength(2);
  });

  it('waits for pending acks after stdin ends, then exits 0 with a clean stdout', async () => {
    const node = await startNode();
    const chat = startChat(['--node', node.url, '--json']);
    chat.stdin.write('{"to":"n1","msg":"slow"}\n');
    chat.stdin.end();
    await waitFor(() => node.heldAcks.length === 1, 4000, 'the message at the node');
    await waitFor(() => chat.stdin.readableEnded, 4000, 'stdin to be consumed');
    await new Promise((resolve) => setImmediate(resolve));
    expect(chat.settled()).toBe(false);

    expect(node.received).toEqual([{ to: 'n1', msg: 'slow' }]);
    node.heldAcks[0]?.({ ok: true, id: 'm1', status: 'delivered' });
    expect(await chat.done).toBe(0);
    expect(chat.out.text).toBe('');
    expect(chat.err.text).toBe('');
  });

  it('uses --to when a line has no "to", and turns a lost ack into an error', async () => {
    const node = await startNode();
    const chat = startChat(['--node', node.url, '--json', '--to', 'n3'], { ackTimeoutMs: 300 });
    chat.stdin.end('{"msg":"no ack"}\n');
    expect(await chat.done).toBe(1);
    expect(node.received).toEqual([{ to: 'n3', msg: 'no ack' }]);
    const errors = jsonLines(chat.err.text) as Array<{ error: { code: string }; line: number }>;
    expect(errors).toEqual([{ error: expect.objectContaining({ code: 'ack_timeout' }), line: 1 }]);
    expect(chat.out.text).toBe('');
  });

  it('gives up with one error line and exit 1 when the node cannot be reached', async () => {
    const url = await closedPortUrl();
    const chat = startChat(['--node', url, '--json'], { connectTimeoutMs: 500 });
    expect(await chat.done).toBe(1);
    expect(chat.out.text).toBe('');
    const errors = jsonLines(chat.err.text) as Array<{ error: { code: string; message: string } }>;
    expect(errors).toHaveLength(1);
    expect(errors[0]?.error.code).toBe('unreachable');
    expect(errors[0]?.error.message).toContain(url);
  });
});

describe('meshchat chat (interactive)', () => {
  it('says older messages are kept, and /older shows them a page at a time until the start', async () => {
    const node = await startNode();
    const ts = '2024-05-01T08:09:10.000Z';
    const entry = (n: number) => ({ id: `h${n}`, from: 'n2', to: 'n1', msg: `old ${n}`, ts, seq: n });
    node.history = () => [entry(3)];
    node.page = { more: true, before: 'h3' };
    node.older = (query) =>
      (query as { before?: string }).before === 'h3'
        ? { ok: true, messages: [entry(1), entry(2)], more: false, before: 'h1' }
        : { ok: false, error: { code: 'invalid_history_request', message: 'no' } };
    const chat = startChat(['--node', node.url]);
    await waitFor(
      () => chat.out.text.includes('history: 1 message (older ones: /older)'),
      4000,
      'the header',
    );
    chat.stdin.write('/older 0\n');
    await waitFor(() => chat.out.text.includes("'0' is not a number of messages"), 4000, 'the refusal');
    chat.stdin.write('/older 20\n');
    await waitFor(() => chat.out.text.includes('2 older messages; that is the start'), 4000, 'the page');
    expect(node.olderAsked).toEqual([{ before: 'h3', limit: 20 }]);
    const lines = chat.out.lines();
    const header = lines.findIndex((l) => l.startsWith('2 older messages'));
    expect(lines.slice(header + 1, header + 3)).toEqual([
      expect.stringContaining('n2 → n1: old 1'),
      expect.stringContaining('n2 → n1: old 2'),
    ]);
    chat.stdin.write('/older\n');
    await waitFor(() => chat.out.text.includes('no older messages'), 4000, 'the end');
    expect(node.olderAsked).toHaveLength(1);
    chat.stdin.write('/quit\n');
    expect(await chat.done).toBe(0);
  });

  it('lists nodes, sends plain lines to the /to destination and prints incoming messages', async () => {
    const node = await startNode();
    const chat = startChat(['--node', node.url, '--user', 'bob']);
    await waitFor(() => chat.out.text.includes('you are on node n1'), 4000, 'the hello line');

    chat.stdin.write('/nodes\n');
    await waitFor(() => chat.out.text.includes('https://n3.example'), 4000, 'the node list');
    const listing = chat.out.lines();
    expect(listing).toContainEqual(expect.stringMatching(/^nodes \(3\):$/));
    expect(listing).toContainEqual(expect.stringMatching(/^\*> n1 .*\(up, you are here, destination\)$/));
    expect(listing).toContainEqual(
      expect.stringMatching(/^ {3}n2 .*http:\/\/127\.0\.0\.1:9\/ {2}\(not answering\)$/),
    );
    // n3 sends no state (an older node): it counts as up
    expect(listing).toContainEqual(expect.stringMatching(/^ {3}n3 .*https:\/\/n3\.example {2}\(up\)$/));

    chat.stdin.write('/to n2\n');
    chat.stdin.write('hello world\n');
    await waitFor(() => node.received.length === 1, 4000, 'the message at the node');
    expect(node.received[0]).toEqual({ to: 'n2', msg: 'hello world', user: 'bob' });
    await waitFor(() => chat.out.text.includes('◷ queued m1'), 4000, 'the ack line');
    expect(chat.out.lines()).toContain('◷ queued m1 (node n2 is not reachable; will retry)');

    chat.stdin.write('/to ghost\n');
    chat.stdin.write('please fail\n');
    await waitFor(() => chat.out.text.includes('✗ node ghost is unknown'), 4000, 'the refused ack');
    expect(chat.out.text).toContain('ghost is not in the node list');
    expect(node.received[1]).toEqual({ to: 'ghost', msg: 'please fail', user: 'bob' });

    const ts = '2024-05-01T08:09:10.000Z';
    node.io.emit('msg', { id: 'x9', from: 'n3', to: 'n1', msg: 'good morning', ts, user: 'carol' });
    const d = new Date(ts);
    const hhmmss = [d.getHours(), d.getMinutes(), d.getSeconds()]
      .map((n) => String(n).padStart(2, '0'))
      .join(':');
    await waitFor(() => chat.out.text.includes('good morning'), 4000, 'the incoming message');
    expect(chat.out.lines()).toContain(`[${hhmmss}] n3 (carol) → n1: good morning`);

    chat.stdin.write('/quit\n');
    expect(await chat.done).toBe(0);
    expect(chat.err.text).toBe('');
  });

  it('reports nodes that join, stop answering, come back or leave, and lists their state', async () => {
    const node = await startNode();
    const chat = startChat(['--node', node.url]);
    await waitFor(() => chat.out.text.includes('you are on node n1'), 4000, 'the hello line');
    const self = { id: 'n1', url: node.url, state: 'alive', incarnation: 0 };

    // The same list again with only incarnations changed: nothing to report.
    node.io.emit('nodes', [
      self,
      { id: 'n2', url: 'http://127.0.0.1:9/', state: 'suspect', incarnation: 4 },
      { id: 'n3', url: 'https://n3.example', state: 'alive', incarnation: 1 },
    ]);
    node.io.emit('nodes', [
      self,
      { id: 'n2', url: 'http://127.0.0.1:9/', state: 'alive', incarnation: 5 },
      { id: 'n3', url: 'https://n3.example', state: 'suspect', incarnation: 1 },
      { id: 'n4', url: 'https://n4.example', state: 'alive' },
    ]);
    node.io.emit('nodes', [
      self,
      { id: 'n2', url: 'http://127.0.0.1:9/' },
      { id: 'n3', url: 'https://n3.example', state: 'suspect', incarnation: 1 },
      { id: 'n5', url: 'https://n5.example', state: 'suspect' },
    ]);
    await waitFor(() => chat.out.text.includes('-n4'), 4000, 'the departure of n4');
    expect(chat.out.lines().filter((line) => line.startsWith('nodes:'))).toEqual([
      'nodes: n2 back, n3 not answering, +n4',
      'nodes: +n5 (not answering), -n4',
    ]);

    chat.stdin.write('/nodes\n');
    await waitFor(() => chat.out.text.includes('https://n5.example'), 4000, 'the node list');
    const listing = chat.out.lines();
    expect(listing).toContain('nodes (4):');
    expect(listing).toContainEqual(expect.stringMatching(/^ {3}n2 .* {2}\(up\)$/));
    expect(listing).toContainEqual(expect.stringMatching(/^ {3}n3 .* {2}\(not answering\)$/));
    expect(listing).toContainEqual(expect.stringMatching(/^ {3}n5 .* {2}\(not answering\)$/));

    chat.stdin.write('/to n3\n');
    await waitFor(() => chat.out.text.includes('messages go to n3'), 4000, 'the /to answer');
    expect(chat.out.lines()).toContain('! node n3 is not answering; messages to it may fail');
    chat.stdin.write('/to n2\n');
    await waitFor(() => chat.out.text.includes('messages go to n2'), 4000, 'the second /to answer');
    expect(chat.out.text).not.toContain('! node n2');

    chat.stdin.end();
    expect(await chat.done).toBe(0);
    expect(chat.err.text).toBe('');
  });

  it('sends to the connected node by default, honours --to, and quits on end of input', async () => {
    const node = await startNode();
    const chat = startChat(['--node', node.url]);
    await waitFor(() => chat.out.text.includes('you are on node n1'), 4000, 'the hello line');
    chat.stdin.write('hi\n');
    await waitFor(() => chat.out.text.includes('✓ delivered m1'), 4000, 'the ack line');
    expect(node.received).toEqual([{ to: 'n1', msg: 'hi' }]);
    chat.stdin.end();
    expect(await chat.done).toBe(0);

    const chat2 = startChat(['--node', node.url, '--to', 'n3']);
    chat2.stdin.end('//slash\n');
    expect(await chat2.done).toBe(0);
    expect(node.received[1]).toEqual({ to: 'n3', msg: '/slash' });
    expect(chat2.out.lines()).toContain('◷ queued m2 (node n3 is not reachable; will retry)');
  });

  it('prints status and error events and shows connection lost / reconnected', async () => {
    const node = await startNode();
    const chat = startChat(['--node', node.url], { reconnectionDelayMs: 50 });
    await waitFor(() => chat.out.text.includes('you are on node n1'), 4000, 'the hello line');

    node.io.emit('status', { id: 'm7', status: 'expired' });
    node.io.emit('error', { error: { code: 'rate_limited', message: 'slow down' } });
    await waitFor(() => chat.out.text.includes('slow down'), 4000, 'the error event');
    expect(chat.out.lines()).toContain('✗ expired m7 (never delivered)');
    expect(chat.out.text).toContain('✗ node error: slow down (rate_limited)');

    node.sockets[0]?.conn.close();
    // said at once, naming the node, not after socket.io gave up on its own
    await waitFor(
      () => chat.out.lines().includes(`connection to ${node.url}/ lost; reconnecting…`),
      4000,
      'the connection-lost line',
    );
    await waitFor(() => chat.out.text.includes('reconnected to'), 4000, 'the reconnected line');
    expect(node.sockets).toHaveLength(2);

    chat.stdin.end();
    expect(await chat.done).toBe(0);
  });

  it('prints one line and exits 1 when the node cannot be reached', async () => {
    const url = await closedPortUrl();
    const chat = startChat(['--node', url], { connectTimeoutMs: 500 });
    expect(await chat.done).toBe(1);
    expect(chat.err.lines()).toHaveLength(1);
    expect(chat.err.text).toMatch(
      /^meshchat chat: cannot reach the node at http:\/\/127\.0\.0\.1:\d+\/ within 0\.5 s/,
    );
    // socket.io's own words for a refused connection ("xhr poll error") mean nothing to a user.
    expect(chat.err.text).not.toMatch(/xhr|poll error/);
  });
});

describe('meshchat chat: what a new user found', () => {
  it('a status event that overtakes the ack is not printed as "delivered … (was queued)"', async () => {
    const node = await startNode();
    const chat = startChat(['--node', node.url, '--to', 'n3']);
    await waitFor(() => chat.out.text.includes('you are on node n1'), 4000, 'the hello line');
    for (let i = 0; i < 5; i++) chat.stdin.write('racy\n');
    chat.stdin.write('/to *\n');
    chat.stdin.write('racy\n');
    await waitFor(() => chat.out.text.includes('◷ queued m6'), 4000, 'the last ack');
    const lines = chat.out.lines();
    for (let i = 1; i <= 5; i++) expect(lines).toContain(`✓ delivered m${i}`);
    expect(lines).toContain('◷ queued m6 (not every node took it at once; will retry the others)');
    // every ack once, and no status line at all: each copy was delivered at once
    expect(lines.filter((l) => /^[✓◷✗•]/.test(l))).toEqual([
      ...[1, 2, 3, 4, 5].map((i) => `✓ delivered m${i}`),
      '◷ queued m6 (not every node took it at once; will retry the others)',
    ]);
    chat.stdin.end();
    expect(await chat.done).toBe(0);
  });

  it('a restart of its node adds no node notices; a node that left reads "left", one that crashed "down"', async () => {
    const node = await startNode();
    const all = [
      { id: 'n1', url: node.url, state: 'alive' },
      { id: 'n2', url: 'http://n2.example', state: 'alive' },
      { id: 'n3', url: 'http://n3.example', state: 'alive' },
      { id: 'n4', url: 'http://n4.example', state: 'alive' },
    ];
    // the restarted node lists only itself at first, and finds the others again a moment later
    node.nodeList = (connection) => (connection === 0 ? all : [all[0]]);
    const chat = startChat(['--node', node.url], { reconnectionDelayMs: 50 });
    await waitFor(() => chat.out.text.includes('history: none'), 4000, 'the first connection');
    node.sockets[0]?.conn.close();
    await waitFor(
      () => chat.out.lines().includes(`connection to ${node.url}/ lost; reconnecting…`),
      4000,
      'the lost line',
    );
    await waitFor(() => chat.out.text.includes('reconnected to'), 4000, 'the reconnection');
    node.io.emit('nodes', all);
    node.io.emit('mesh', { nodes: all, links: [] });
    // events arrive in order: once this message is printed, the list and the map before it were taken
    node.io.emit('msg', { id: 'x1', from: 'n2', to: 'n1', msg: 'after the restart' });
    await waitFor(() => chat.out.text.includes('after the restart'), 4000, 'the marker message');
    chat.stdin.write('/nodes\n');
    await waitFor(() => chat.out.text.includes('n4.example'), 4000, 'the node list');
    expect(chat.out.lines().filter((l) => l.startsWith('nodes:'))).toEqual([]);

    node.io.emit('nodes', [all[0], all[3]]);
    node.io.emit('mesh', {
      nodes: [all[0], all[3], { ...all[1], state: 'left' }, { ...all[2], state: 'dead' }],
      links: [],
    });
    await waitFor(() => chat.out.text.includes('nodes: -'), 4000, 'the departures');
    expect(chat.out.lines().filter((l) => l.startsWith('nodes:'))).toEqual(['nodes: -n2 (left), -n3 (down)']);
    node.io.emit('nodes', all);
    await waitFor(() => chat.out.text.includes('came back'), 4000, 'the return');
    expect(chat.out.lines()).toContain('nodes: n2 came back, n3 came back');
    chat.stdin.end();
    expect(await chat.done).toBe(0);
  });
});

describe('meshchat chat: a node that turns the client away', () => {
  it('says so and exits 1 when its node refuses it after a drop, instead of retrying for ever', async () => {
    const node = await startNode();
    const chat = startChat(['--node', node.url], { reconnectionDelayMs: 50 });
    await waitFor(() => chat.out.text.includes('history: none'), 4000, 'the first connection');
    node.refuse = 'auth_required';
    node.sockets[0]?.conn.close();
    expect(await chat.done).toBe(1);
    expect(chat.out.lines()).toContain(
      `✗ the node at ${node.url}/ refused the connection (auth_required); giving up`,
    );
    expect(node.sockets).toHaveLength(1);
  });

  it('--json reports the refusal on stderr', async () => {
    const node = await startNode();
    const chat = startChat(['--node', node.url, '--json'], { reconnectionDelayMs: 50 });
    await waitFor(() => node.sockets.length === 1, 4000, 'the first connection');
    node.refuse = 'auth_required';
    node.sockets[0]?.conn.close();
    await waitFor(() => chat.err.text.includes('refused'), 4000, 'the refusal');
    expect(jsonLines(chat.err.text)).toEqual([
      { event: 'disconnected', reason: 'the connection closed' },
      {
        error: { code: 'refused', message: `the node at ${node.url}/ refused the connection: auth_required` },
      },
    ]);
    chat.stdin.end();
    expect(await chat.done).toBe(0);
  });
});

/** The local `HH:MM:SS` the client prints for an ISO timestamp. */
function hhmmss(ts: string): string {
  const d = new Date(ts);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

const T1 = '2024-05-01T08:00:01.000Z';
const T2 = '2024-05-01T08:00:02.000Z';
const T3 = '2024-05-01T08:00:03.000Z';

describe('chat output helpers', () => {
  it('formats acks: delivered, queued (direct and broadcast) and refused', () => {
    expect(formatAck({ ok: true, id: 'm1', status: 'delivered' }, 'n1')).toBe('✓ delivered m1');
    expect(formatAck({ ok: true, id: 'm2', status: 'queued' }, 'b')).toBe(
      '◷ queued m2 (node b is not reachable; will retry)',
    );
    // a direct message waits for its recipient's node: the user is not a node
    expect(formatAck({ ok: true, id: 'm5', status: 'queued' }, 'ben@b')).toBe(
      "◷ queued m5 (ben@b's node b is not reachable; will retry)",
    );
    expect(formatAck({ ok: true, id: 'm3', status: 'delivered' }, '*')).toBe('✓ delivered m3 to every node');
    expect(formatAck({ ok: true, id: 'm4', status: 'queued' }, '*')).toBe(
      '◷ queued m4 (not every node took it at once; will retry the others)',
    );
    expect(formatAck({ ok: false, error: { code: 'unknown_node', message: 'no such node' } }, 'x')).toBe(
      '✗ no such node',
    );
    // the node's sentence names socket.io's handshake; a terminal user is told the flag instead
    const authRequired = { code: 'auth_required', message: 'Log in (socket.io: auth {token})' };
    expect(formatAck({ ok: false, error: authRequired }, 'ben@b')).toBe(
      '✗ log in to send this: start meshchat chat again with --login NAME',
    );
  });

  it('formats status events with the destination node, for direct messages and broadcasts', () => {
    expect(formatStatus({ id: 'm1', to: 'b', node: 'b', status: 'delivered', seq: 4 }, 'queued')).toBe(
      '✓ delivered m1 to b (was queued)',
    );
    // "was queued" only when the user was told so: never for a copy delivered at the first attempt
    expect(formatStatus({ id: 'm1', to: 'b', node: 'b', status: 'delivered', seq: 4 })).toBe(
      '✓ delivered m1 to b',
    );
    expect(formatStatus({ id: 'm1', to: 'b', node: 'b', status: 'delivered' }, 'delivered')).toBe(
      '✓ delivered m1 to b',
    );
    expect(formatStatus({ id: 'm2', to: 'b', node: 'b', status: 'expired' })).toBe(
      '✗ expired m2 to b (never delivered)',
    );
    expect(
      formatStatus({
        id: 'm3',
        to: 'b',
        node: 'b',
        status: 'failed',
        error: { code: 'too_large', message: 'message too large' },
      }),
    ).toBe('✗ failed m3 to b: message too large');
    expect(formatStatus({ id: 'm4', to: '*', node: 'c', status: 'delivered' }, 'queued')).toBe(
      '✓ delivered m4 to c (broadcast; was queued)',
    );
    expect(formatStatus({ id: 'm5', to: '*', node: 'c', status: 'expired' })).toBe(
      '✗ expired m5 to c (broadcast; never delivered)',
    );
    // a status change found in the history has no node: a broadcast reads "to every node"
    expect(formatStatus({ id: 'm6', to: '*', status: 'expired' })).toBe(
      '✗ expired m6 to every node (never delivered)',
    );
    // a direct message names its recipient, not only the recipient's node
    expect(formatStatus({ id: 'm9', to: 'ben@b', node: 'b', status: 'delivered' }, 'queued')).toBe(
      '✓ delivered m9 to ben@b (was queued)',
    );
    // an older node without to/node, and a status this client does not know
    expect(formatStatus({ id: 'm7', status: 'expired' })).toBe('✗ expired m7 (never delivered)');
    expect(formatStatus({ id: 'm8', to: 'b', node: 'b', status: 'bounced' })).toBe('• m8 to b: bounced');
    // remote text never reaches the terminal raw
    expect(
      formatStatus({
        id: 'm\u001b[2J',
        node: 'b\n',
        status: 'failed',
        error: { code: 'x', message: 'a\rb' },
      }),
    ).toBe('✗ failed m\\x1b[2J to b\\x0a: a\\x0db');
  });

  it('formats the history header: always on the first connection, only when something was missed later', () => {
    expect(formatHistoryHeader(0, false)).toBe('history: none');
    expect(formatHistoryHeader(1, false)).toBe('history: 1 message');
    expect(formatHistoryHeader(3, false)).toBe('history: 3 messages');
    expect(formatHistoryHeader(0, true)).toBeUndefined();
    expect(formatHistoryHeader(1, true)).toBe('history: 1 missed message');
    expect(formatHistoryHeader(2, true)).toBe('history: 2 missed messages');
  });

  it('formats sent history entries with their status and broadcasts as "* (every node)"', () => {
    expect(
      formatMessage({ id: 'h1', from: 'a', to: 'b', msg: 'hello', ts: T1, status: 'queued', seq: 3 }),
    ).toBe(`[${hhmmss(T1)}] a → b: hello  [queued]`);
    expect(formatMessage({ from: 'a', to: '*', msg: 'hi all', ts: T2, user: 'ann' })).toBe(
      `[${hhmmss(T2)}] a (ann) → * (every node): hi all`,
    );
  });

  it('MessageLedger prints a status event only when it is news to this user', () => {
    const ledger = new MessageLedger();
    ledger.noteStatus('u1', 'delivered');
    expect(ledger.isNews({ id: 'u1', to: 'b', node: 'b', status: 'delivered' })).toBe(false);
    ledger.noteStatus('u2', 'queued');
    expect(ledger.isNews({ id: 'u2', to: 'b', node: 'b', status: 'delivered' })).toBe(true);
    ledger.noteStatus('b1', 'delivered');
    expect(ledger.isNews({ id: 'b1', to: '*', node: 'c', status: 'delivered' })).toBe(false);
    expect(ledger.isNews({ id: 'b1', to: '*', node: 'd', status: 'failed' })).toBe(true);
    ledger.noteStatus('b2', 'queued');
    expect(ledger.isNews({ id: 'b2', to: '*', node: 'c', status: 'delivered' })).toBe(true);
  });

  it('MessageLedger keeps the highest seq seen and decides what a history entry shows', () => {
    const ledger = new MessageLedger();
    expect(ledger.since).toBeUndefined();
    expect(ledger.history({ id: 'h1', from: 'b', to: 'a', msg: 'x', seq: 2 })).toBe('show');
    expect(ledger.history({ id: 'h2', from: 'a', to: 'b', msg: 'y', seq: 7, status: 'queued' })).toBe('show');
    expect(ledger.history({ id: 'h3', from: 'c', to: 'a', msg: 'z', seq: 5 })).toBe('show');
    expect(ledger.since).toBe(7); // non-monotonic seqs: the max is kept
    expect(ledger.live({ id: 'h3', from: 'c', to: 'a', msg: 'z', seq: 5 })).toBe(false);
    expect(ledger.live({ id: 'l1', from: 'c', to: 'a', msg: 'new', seq: 8 })).toBe(true);
    ledger.seeSeq(6);
    expect(ledger.since).toBe(8);
    // seen again after a reconnect: an unchanged message is skipped, a new final status is reported
    expect(ledger.history({ id: 'h1', from: 'b', to: 'a', msg: 'x', seq: 2 })).toBe('skip');
    expect(ledger.history({ id: 'h2', from: 'a', to: 'b', msg: 'y', seq: 9, status: 'delivered' })).toBe(
      'status',
    );
    expect(ledger.history({ id: 'h2', from: 'a', to: 'b', msg: 'y', seq: 9, status: 'delivered' })).toBe(
      'skip',
    );
    // a message this client sent (known from its ack) is not shown again, only its new status
    ledger.noteStatus('s1', 'queued');
    expect(ledger.history({ id: 's1', from: 'a', to: 'b', msg: 'mine', seq: 10, status: 'queued' })).toBe(
      'skip',
    );
    expect(ledger.history({ id: 's1', from: 'a', to: 'b', msg: 'mine', seq: 11, status: 'expired' })).toBe(
      'status',
    );
    // …and a status event already told us: nothing more to say
    ledger.noteStatus('s2', 'queued');
    ledger.noteStatus('s2', 'delivered');
    expect(ledger.history({ id: 's2', from: 'a', to: 'b', msg: 'm', seq: 12, status: 'delivered' })).toBe(
      'skip',
    );
    expect(ledger.since).toBe(12);
  });
});

describe('meshchat chat: history, reconnect cursor and delivery status', () => {
  it('prints the history once with a header, then only what was missed after a reconnect (since = max seq)', async () => {
    const node = await startNode();
    node.history = (since) =>
      since === undefined
        ? [
            { id: 'h1', from: 'n2', to: 'n1', msg: 'earlier', ts: T1, user: 'bob', seq: 1 },
            { id: 'h2', from: 'n1', to: 'n2', msg: 'hello', ts: T2, seq: 6, status: 'queued' },
            { id: 'h3', from: 'n1', to: '*', msg: 'hi all', ts: T3, user: 'ann', seq: 4, status: 'expired' },
          ]
        : [];
    const chat = startChat(['--node', node.url], { reconnectionDelayMs: 50 });
    await waitFor(() => chat.out.text.includes('hi all'), 4000, 'the history');
    const lines = chat.out.lines();
    const header = lines.indexOf('history: 3 messages');
    expect(header).toBeGreaterThan(lines.findIndex((l) => l.startsWith('you are on node n1')));
    expect(lines.slice(header + 1, header + 4)).toEqual([
      `[${hhmmss(T1)}] n2 (bob) → n1: earlier`,
      `[${hhmmss(T2)}] n1 → n2: hello  [queued]`,
      `[${hhmmss(T3)}] n1 (ann) → * (every node): hi all  [expired]`,
    ]);
    expect(node.auths[0]).toEqual({}); // the first connection sends no cursor

    // a live copy of a history message is not printed again; live messages and status events move the cursor
    node.io.emit('msg', { id: 'h1', from: 'n2', to: 'n1', msg: 'earlier', ts: T1, seq: 1 });
    node.io.emit('msg', { id: 'l1', from: 'n3', to: 'n1', msg: 'live one', ts: T1, seq: 8 });
    node.io.emit('status', { id: 'h2', to: 'n2', node: 'n2', status: 'delivered', seq: 9 });
    await waitFor(() => chat.out.text.includes('✓ delivered h2'), 4000, 'the status line');
    expect(chat.out.lines()).toContain('✓ delivered h2 to n2 (was queued)');
    expect(chat.out.text.match(/earlier/g)).toHaveLength(1);

    node.history = (since) =>
      since === 9
        ? [
            { id: 'l1', from: 'n3', to: 'n1', msg: 'live one', ts: T1, seq: 8 }, // already shown
            { id: 'h4', from: 'n3', to: 'n1', msg: 'while you were away', ts: T3, seq: 10 },
            { id: 'h5', from: 'n1', to: '*', msg: 'mine', ts: T3, seq: 12, status: 'queued' },
            { id: 'h2', from: 'n1', to: 'n2', msg: 'hello', ts: T2, seq: 11, status: 'delivered' }, // known
          ]
        : [];
    node.sockets[0]?.conn.close();
    await waitFor(() => chat.out.text.includes('while you were away'), 4000, 'the missed messages');
    expect(node.auths[1]).toEqual({ since: 9 });
    const after = chat.out.lines();
    const missed = after.indexOf('history: 2 missed messages');
    expect(missed).toBeGreaterThan(after.indexOf(`reconnected to ${node.url}/`));
    expect(after.slice(missed + 1)).toEqual([
      `[${hhmmss(T3)}] n3 → n1: while you were away`,
      `[${hhmmss(T3)}] n1 → * (every node): mine  [queued]`,
    ]);

    // nothing missed: no header at all, and the next reconnect sends the new maximum
    node.history = () => [];
    node.sockets[1]?.conn.close();
    await waitFor(() => node.auths.length === 3, 4000, 'the second reconnection');
    expect(node.auths[2]).toEqual({ since: 12 });
    await waitFor(() => chat.out.text.split('reconnected to').length === 3, 4000, 'the reconnected line');
    chat.stdin.end();
    expect(await chat.done).toBe(0);
    expect(chat.out.lines().filter((l) => l.startsWith('history:'))).toEqual([
      'history: 3 messages',
      'history: 2 missed messages',
    ]);
  });

  it('says "history: none" for an empty history and reports a status that changed while away', async () => {
    const node = await startNode();
    const chat = startChat(['--node', node.url, '--to', 'n2'], { reconnectionDelayMs: 50 });
    await waitFor(() => chat.out.text.includes('history: none'), 4000, 'the empty history header');
    chat.stdin.write('hello\n');
    await waitFor(() => chat.out.text.includes('◷ queued m1'), 4000, 'the queued ack');

    // the message was delivered while the client was disconnected: the reconnect history says so
    node.history = () => [
      { id: 'm1', from: 'n1', to: 'n2', msg: 'hello', ts: T1, seq: 3, status: 'delivered' },
    ];
    node.sockets[0]?.conn.close();
    await waitFor(() => chat.out.text.includes('✓ delivered m1'), 4000, 'the status change');
    expect(chat.out.lines()).toContain('✓ delivered m1 to n2 (was queued)');
    expect(chat.out.text).not.toContain('missed');
    expect(chat.out.text).not.toContain('hello  [');
    expect(node.auths).toEqual([{}, {}]); // no seq was ever seen: no cursor

    chat.stdin.end();
    expect(await chat.done).toBe(0);
  });

  it('/to * broadcasts, and status events name each destination node', async () => {
    const node = await startNode();
    const chat = startChat(['--node', node.url]);
    await waitFor(() => chat.out.text.includes('you are on node n1'), 4000, 'the hello line');
    chat.stdin.write('/help\n');
    chat.stdin.write('/to *\n');
    chat.stdin.write('all at once\n');
    chat.stdin.write('to all\n');
    await waitFor(() => chat.out.text.includes('◷ queued m2'), 4000, 'the second ack');
    expect(node.received).toEqual([
      { to: '*', msg: 'all at once' },
      { to: '*', msg: 'to all' },
    ]);
    const lines = chat.out.lines();
    expect(lines).toContainEqual(expect.stringMatching(/\/to \* sends to every node/));
    expect(lines).toContain('messages go to every node (*)');
    expect(lines).toContain('✓ delivered m1 to every node');
    expect(lines).toContain('◷ queued m2 (not every node took it at once; will retry the others)');

    node.io.emit('status', { id: 'm2', to: '*', node: 'n2', status: 'delivered', seq: 5 });
    node.io.emit('status', { id: 'm2', to: '*', node: 'n3', status: 'expired', seq: 6 });
    node.io.emit('status', {
      id: 'm2',
      to: '*',
      node: 'n4',
      status: 'failed',
      seq: 7,
      error: { code: 'too_large', message: 'message too large' },
    });
    await waitFor(() => chat.out.text.includes('✗ failed m2'), 4000, 'the status lines');
    expect(chat.out.lines()).toEqual(
      expect.arrayContaining([
        '✓ delivered m2 to n2 (broadcast; was queued)',
        '✗ expired m2 to n3 (broadcast; never delivered)',
        '✗ failed m2 to n4 (broadcast): message too large',
      ]),
    );
    chat.stdin.write('/nodes\n');
    await waitFor(() => chat.out.text.includes('(every node: broadcast)'), 4000, 'the node list');
    chat.stdin.end();
    expect(await chat.done).toBe(0);
  });

  it('--to * is accepted', async () => {
    const node = await startNode();
    const chat = startChat(['--node', node.url, '--to', '*']);
    chat.stdin.end('all at once\n');
    expect(await chat.done).toBe(0);
    expect(node.received).toEqual([{ to: '*', msg: 'all at once' }]);
    expect(chat.out.lines()).toContain('✓ delivered m1 to every node');
  });

  it('--json prints history entries with "history": true, once, and sends since on reconnect', async () => {
    const node = await startNode();
    const h1 = { id: 'h1', from: 'n2', to: 'n1', msg: 'earlier', ts: T1, seq: 2 };
    const h2 = { id: 'h2', from: 'n1', to: 'n2', msg: 'hello', ts: T2, seq: 5, status: 'queued' };
    node.history = (since) => (since === undefined ? [h1, h2] : []);
    const chat = startChat(['--node', node.url, '--json'], { reconnectionDelayMs: 50 });
    await waitFor(() => chat.out.lines().length === 2, 4000, 'the history lines');
    expect(jsonLines(chat.out.text)).toEqual([
      { ...h1, history: true },
      { ...h2, history: true },
    ]);

    const live = { id: 'l1', from: 'n3', to: 'n1', msg: 'live', seq: 7 };
    node.io.emit('msg', { ...h1 }); // already printed
    node.io.emit('msg', live);
    await waitFor(() => chat.out.lines().length === 3, 4000, 'the live line');
    expect(jsonLines(chat.out.text)[2]).toEqual(live);

    const h3 = { id: 'h3', from: 'n3', to: 'n1', msg: 'missed', ts: T3, seq: 8 };
    node.history = (since) =>
      since === 7 ? [live, h3, { ...h2, seq: 9, status: 'expired' }] : [{ id: 'wrong', from: 'x', msg: '?' }];
    node.sockets[0]?.conn.close();
    await waitFor(() => chat.out.lines().length === 4, 4000, 'the missed message');
    expect(node.auths).toEqual([{}, { since: 7 }]);
    expect(jsonLines(chat.out.text)[3]).toEqual({ ...h3, history: true });
    await waitFor(() => chat.err.text.includes('"expired"'), 4000, 'the status change');
    const errors = jsonLines(chat.err.text);
    expect(errors).toContainEqual({
      status: { id: 'h2', status: 'expired', to: 'n2', seq: 9 },
      history: true,
    });

    node.io.emit('status', { id: 'h9', to: '*', node: 'n2', status: 'delivered', seq: 10 });
    await waitFor(() => chat.err.text.includes('h9'), 4000, 'the status event');
    expect(jsonLines(chat.err.text)).toContainEqual({
      status: { id: 'h9', to: '*', node: 'n2', status: 'delivered', seq: 10 },
    });
    chat.stdin.end();
    expect(await chat.done).toBe(0);
    expect(chat.out.lines()).toHaveLength(4);
  });
});

describe('meshchat chat flags', () => {
  const good = 'http://127.0.0.1:3000';
  it.each([
    { argv: [], flag: '--node' },
    { argv: ['--json'], flag: '--node' },
    { argv: ['--node'], flag: '--node' },
    { argv: ['--node', 'ftp://example.com'], flag: '--node' },
    { argv: ['--node', 'not a url'], flag: '--node' },
    { argv: ['--node', 'http://me:secret@example.com'], flag: '--node' },
    { argv: ['--bogus'], flag: '--bogus' },
    { argv: ['--node', good, '--json=yes'], flag: '--json' },
    { argv: ['--node', good, '--to', 'bad id!'], flag: '--to' },
    { argv: ['--node', good, '--user', ''], flag: '--user' },
    { argv: ['--node', good, '--user', 'x'.repeat(65)], flag: '--user' },
    { argv: ['--node', good, '--user', 'ann@alpha'], flag: '--user' },
    { argv: ['--node', good, 'extra'], flag: 'extra' },
  ])('$argv → exit 2 naming $flag', async ({ argv, flag }) => {
    const chat = startChat(argv);
    expect(await chat.done).toBe(2);
    expect(chat.out.text).toBe('');
    const lines = chat.err.lines();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^meshchat chat: /);
    expect(lines[0]).toContain(flag);
  });

  it('--help prints the usage and exits 0', async () => {
    const chat = startChat(['--help']);
    expect(await chat.done).toBe(0);
    expect(chat.out.text).toContain('Usage: meshchat chat --node <url>');
    expect(chat.err.text).toBe('');
  });
});
