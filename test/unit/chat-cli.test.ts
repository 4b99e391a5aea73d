import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { Server, type Socket as ServerSocket } from 'socket.io';
import { afterEach, describe, expect, it } from 'vitest';
import { type ChatOptions, runChat } from '../../src/cli/chat.js';

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
}

const nodes: FakeNode[] = [];

/**
 * A socket.io server behaving like a meshchat node `n1`: hello + nodes on connect, acks `msg` events.
 * msg "please fail" → refused; msg "slow" → ack held in `heldAcks`; msg "no ack" → never acknowledged.
 */
async function startNode(): Promise<FakeNode> {
  const http = createServer();
  const io = new Server(http);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  const node: FakeNode = { url: `http://127.0.0.1:${port}`, io, sockets: [], received: [], heldAcks: [] };
  let counter = 0;
  io.on('connection', (socket) => {
    node.sockets.push(socket);
    socket.emit('hello', { node: { id: 'n1', url: node.url } });
    socket.emit('nodes', [
      { id: 'n1', url: node.url, state: 'alive' },
      { id: 'n2', url: 'http://127.0.0.1:9/', state: 'suspect' },
      { id: 'n3', url: 'https://n3.example' },
    ]);
    socket.on('msg', (payload: OutgoingPayload, ack: AckFn) => {
      node.received.push(payload);
      counter += 1;
      if (payload.msg === 'please fail') {
        ack({ ok: false, error: { code: 'unknown_node', message: `node ${String(payload.to)} is unknown` } });
      } else if (payload.msg === 'slow') {
        node.heldAcks.push(ack);
      } else if (payload.msg !== 'no ack') {
        ack({ ok: true, id: `m${counter}`, status: payload.to === 'n1' ? 'delivered' : 'queued' });
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
  const http = createServer();
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  await new Promise<void>((resolve) => http.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
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
    await waitFor(() => chat.out.text.includes('… queued m1'), 4000, 'the ack line');

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
    expect(chat2.out.text).toContain('… queued m2');
  });

  it('prints status and error events and shows connection lost / reconnected', async () => {
    const node = await startNode();
    const chat = startChat(['--node', node.url], { reconnectionDelayMs: 50 });
    await waitFor(() => chat.out.text.includes('you are on node n1'), 4000, 'the hello line');

    node.io.emit('status', { id: 'm7', status: 'expired' });
    node.io.emit('error', { error: { code: 'rate_limited', message: 'slow down' } });
    await waitFor(() => chat.out.text.includes('slow down'), 4000, 'the error event');
    expect(chat.out.text).toContain('✗ expired m7');
    expect(chat.out.text).toContain('✗ node error: slow down (rate_limited)');

    node.sockets[0]?.conn.close();
    await waitFor(() => chat.out.text.includes('connection lost'), 4000, 'the connection-lost line');
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
