// A plain (assignment) node in a mesh whose meshchat nodes talk over peer links: it never receives a WebSocket
// attempt on /peer (it offers no link) and still gets every message, in order, while the meshchat nodes use
// their links between themselves.
import { io, type Socket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { MeshNode } from '../../src/mesh-node.js';
import { startTestNode, stopAll } from '../support/nodes.js';
import { linksOpen } from '../support/peer-links.js';
import { type PlainNode, startPlainNode } from './plain-node/spawn.js';
import { waitFor } from './plain-node/wait-for.js';

const meshNodes: MeshNode[] = [];
const plainNodes: PlainNode[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.close();
  await stopAll(meshNodes);
  await Promise.all(plainNodes.splice(0).map((node) => node.stop('SIGKILL')));
});

async function user(url: string): Promise<{ socket: Socket; texts: string[] }> {
  const socket = io(url, { transports: ['websocket'], reconnection: false, forceNew: true });
  sockets.push(socket);
  const texts: string[] = [];
  socket.on('msg', (m: { msg?: string }) => texts.push(String(m.msg)));
  await waitFor(() => socket.connected);
  return { socket, texts };
}

/** Sends `count` messages to `to` in order; resolves once each is acknowledged. */
async function send(from: Socket, to: string, prefix: string, count: number): Promise<string[]> {
  const texts = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
  const acks = await Promise.all(texts.map((msg) => from.timeout(5_000).emitWithAck('msg', { to, msg })));
  for (const ack of acks) expect(ack).toMatchObject({ ok: true });
  return texts;
}

describe('peer links with a plain node in the mesh', () => {
  it('the plain node is never sent a link attempt and gets every message once, in order', async () => {
    const a = await startTestNode('a');
    meshNodes.push(a);
    const b = await startTestNode('b', { join: [a.url] });
    meshNodes.push(b);
    const plain = await startPlainNode({ id: 'plain', join: a.url, watchUpgrades: true });
    plainNodes.push(plain);
    await waitFor(() => b.registry.get('plain') !== undefined, 10_000);
    await Promise.all([linksOpen(a.url, 1), linksOpen(b.url, 1)]);

    const [atA, atB, atPlain] = await Promise.all([user(a.url), user(b.url), user(plain.url)]);
    const fromA = await send(atA.socket, 'plain', 'a2p', 20);
    const fromB = await send(atB.socket, 'plain', 'b2p', 20);
    const aToB = await send(atA.socket, 'b', 'a2b', 20);
    await waitFor(
      () => atPlain.texts.length >= 40 && atB.texts.filter((t) => t.startsWith('a2b')).length >= 20,
      10_000,
    );
    expect(atPlain.texts.filter((t) => t.startsWith('a2p'))).toEqual(fromA);
    expect(atPlain.texts.filter((t) => t.startsWith('b2p'))).toEqual(fromB);
    expect(atB.texts.filter((t) => t.startsWith('a2b'))).toEqual(aToB);

    // A plain user's message reaches the mesh through the plain node's own PUT /msg.
    atPlain.socket.emit('msg', { from: 'plain', to: 'a', msg: 'from plain' });
    await waitFor(() => atA.texts.includes('from plain'), 10_000);
    // Its own socket.io users upgrade (under /socket.io/); nobody ever tried /peer.
    expect(plain.upgrades.length).toBeGreaterThan(0);
    expect(plain.upgrades.filter((path) => path.split('?')[0] === '/peer')).toEqual([]);
  });
});
