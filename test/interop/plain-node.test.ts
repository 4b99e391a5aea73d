import { io, type Socket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { type PlainNode, startPlainNode } from './plain-node/spawn.js';
import { waitFor } from './plain-node/wait-for.js';

interface Msg {
  from?: string;
  to?: string;
  msg?: string;
  [key: string]: unknown;
}

const nodes: PlainNode[] = [];
const sockets: Socket[] = [];

async function start(id: string, join?: string): Promise<PlainNode> {
  const node = await startPlainNode(join === undefined ? { id } : { id, join });
  nodes.push(node);
  return node;
}

/** A socket.io user connected to `node`, recording every `msg` event it receives. */
async function user(node: PlainNode): Promise<{ socket: Socket; received: Msg[] }> {
  const socket = io(node.url, { transports: ['websocket'], reconnection: false });
  sockets.push(socket);
  const received: Msg[] = [];
  socket.on('msg', (m: Msg) => received.push(m));
  await waitFor(() => socket.connected);
  return { socket, received };
}

async function list(node: PlainNode): Promise<{ id: string; url: string }[]> {
  const res = await fetch(`${node.url}/nodes`);
  expect(res.status).toBe(200);
  return (await res.json()) as { id: string; url: string }[];
}

function put(url: string, body: unknown): Promise<Response> {
  return fetch(url, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.close();
  await Promise.all(nodes.splice(0).map((node) => node.stop('SIGKILL')));
});

describe('plain node (the assignment guide, base protocol only)', () => {
  it('joins, relays a user message to the other node, and leaves on SIGTERM', async () => {
    const a = await start('A1');
    const b = await start('B1', a.url);

    const both = [
      { id: 'A1', url: a.url },
      { id: 'B1', url: b.url },
    ];
    expect(await list(a)).toEqual(expect.arrayContaining(both));
    expect(await list(b)).toEqual(expect.arrayContaining(both));
    expect((await list(a)).length).toBe(2);
    expect((await list(b)).length).toBe(2);

    const alice = await user(a);
    const bob = await user(b);
    alice.socket.emit('msg', { to: 'B1', msg: 'hola' });
    await waitFor(() => bob.received.length > 0);
    expect(bob.received).toEqual([{ from: 'A1', to: 'B1', msg: 'hola' }]);
    expect(alice.received).toEqual([]);

    expect(await b.stop('SIGTERM')).toBe(0);
    await waitFor(async () => (await list(a)).every((n) => n.id !== 'B1'));
    expect(await list(a)).toEqual([{ id: 'A1', url: a.url }]);
  });

  it('serves the rest of the base API like a student would', async () => {
    const a = await start('A2');
    expect(await (await fetch(`${a.url}/`)).text()).toBe('Hello World I am running locally');

    const found = await fetch(`${a.url}/nodes/A2`);
    expect(await found.json()).toEqual({ url: a.url });
    expect((await fetch(`${a.url}/nodes/nobody`)).status).toBe(404);

    const added = await put(`${a.url}/nodes/X`, { url: 'http://127.0.0.1:9/x' });
    expect(await added.text()).toBe('OK');
    const del = (url: string) =>
      fetch(`${a.url}/nodes/X`, {
        method: 'DELETE',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ url }),
      });
    await del('http://127.0.0.1:9/other'); // url does not match: ignored
    expect((await list(a)).map((n) => n.id)).toContain('X');
    expect(await (await del('http://127.0.0.1:9/x')).text()).toBe('OK');
    expect((await list(a)).map((n) => n.id)).not.toContain('X');

    // echo mode ({msg} only) and extra fields pass through untouched; unknown `to` is a 404.
    const alice = await user(a);
    expect((await put(`${a.url}/msg`, { msg: 'eco' })).status).toBe(200);
    expect((await put(`${a.url}/msg`, { from: 'Z', to: 'A2', msg: 'x', id: 'm1', hops: 1 })).status).toBe(
      200,
    );
    await waitFor(() => alice.received.length === 2);
    expect(alice.received).toEqual([{ msg: 'eco' }, { from: 'Z', to: 'A2', msg: 'x', id: 'm1', hops: 1 }]);
    expect((await put(`${a.url}/msg`, { from: 'Z', to: 'nobody', msg: 'x' })).status).toBe(404);
  });
});
