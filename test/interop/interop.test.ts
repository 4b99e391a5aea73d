// Wire compatibility with the assignment's base protocol, in both directions: meshchat nodes (in process) and
// plain nodes (child processes built exactly as the assignment's guide builds them) on 127.0.0.1, random ports.
import axios from 'axios';
import { io, type Socket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createNode } from '../../src/container.js';
import type { MeshNode } from '../../src/mesh-node.js';
import { type PlainNode, startPlainNode } from './plain-node/spawn.js';
import { waitFor } from './plain-node/wait-for.js';

interface Msg {
  from?: string;
  to?: string;
  msg?: string;
  [key: string]: unknown;
}

interface NodeEntry {
  id: string;
  url: string;
}

interface User {
  socket: Socket;
  /** Every `msg` event this user received, in order. */
  received: Msg[];
}

const ACK_TIMEOUT_MS = 5_000;

const meshNodes: MeshNode[] = [];
const plainNodes: PlainNode[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.close();
  await Promise.all(meshNodes.splice(0).map((node) => node.stop({ leave: false })));
  await Promise.all(plainNodes.splice(0).map((node) => node.stop('SIGKILL')));
});

async function startMesh(id: string, join: string[] = []): Promise<MeshNode> {
  const node = createNode({ id, port: 0, host: '127.0.0.1', join, tunnel: 'none' });
  meshNodes.push(node);
  await node.start();
  return node;
}

async function startPlain(id: string, join?: string): Promise<PlainNode> {
  const node = await startPlainNode(join === undefined ? { id } : { id, join });
  plainNodes.push(node);
  return node;
}

/** A socket.io user connected to the node at `url`, recording every `msg` event it receives. */
async function connectUser(url: string): Promise<User> {
  const socket = io(url, { transports: ['websocket'], reconnection: false, forceNew: true });
  sockets.push(socket);
  const received: Msg[] = [];
  socket.on('msg', (m: Msg) => received.push(m));
  await waitFor(() => socket.connected);
  return { socket, received };
}

/** Sends as a meshchat user does: `msg` with an acknowledgement callback; resolves with the ack. */
function sendWithAck(user: User, to: string, msg: string): Promise<unknown> {
  return user.socket.timeout(ACK_TIMEOUT_MS).emitWithAck('msg', { to, msg });
}

function byText(user: User, text: string): Msg[] {
  return user.received.filter((m) => m.msg === text);
}

/** Waits until `user` has received a message with `text`, and returns every copy received so far. */
async function received(user: User, text: string): Promise<Msg[]> {
  await waitFor(() => byText(user, text).length > 0);
  return byText(user, text);
}

async function listNodes(url: string): Promise<NodeEntry[]> {
  const res = await fetch(`${url}/nodes`);
  expect(res.status).toBe(200);
  return sortById((await res.json()) as NodeEntry[]);
}

function sortById(nodes: readonly NodeEntry[]): NodeEntry[] {
  return nodes.map(({ id, url }) => ({ id, url })).sort((a, b) => a.id.localeCompare(b.id));
}

function entry(node: { id: string; url: string }): NodeEntry {
  return { id: node.id, url: node.url };
}

/** `PUT <url>/msg` the way the assignment's clients do it (axios); answers with the status, never throws on it. */
async function putMsg(url: string, body: object): Promise<number> {
  const res = await axios.put(`${url}/msg`, body, { timeout: ACK_TIMEOUT_MS, validateStatus: () => true });
  return res.status;
}

const is2xx = (status: number) => status >= 200 && status < 300;

const DELIVERED = { ok: true, id: expect.any(String), status: 'delivered' };

describe('interop with plain (assignment) nodes', () => {
  it('a plain node joins a meshchat network, and messages flow both ways', async () => {
    const mesh1 = await startMesh('mesh1');
    const mesh2 = await startMesh('mesh2', [mesh1.url]);
    const plain = await startPlain('plain1', mesh1.url);

    const all = sortById([entry(mesh1), entry(mesh2), entry(plain)]);
    for (const url of [mesh1.url, mesh2.url, plain.url]) expect(await listNodes(url)).toEqual(all);

    const meshUser = await connectUser(mesh1.url);
    const meshUser2 = await connectUser(mesh1.url);
    const otherMeshUser = await connectUser(mesh2.url);
    const plainUser = await connectUser(plain.url);

    // meshchat user -> plain node
    expect(await sendWithAck(meshUser, 'plain1', 'hola plain')).toEqual(DELIVERED);
    const atPlain = await received(plainUser, 'hola plain');
    expect(atPlain[0]).toMatchObject({ from: 'mesh1', to: 'plain1', msg: 'hola plain' });
    expect(await sendWithAck(meshUser, 'plain1', 'marker to plain')).toEqual(DELIVERED);
    await received(plainUser, 'marker to plain');
    expect(byText(plainUser, 'hola plain')).toHaveLength(1);

    // plain user -> meshchat node: every user of mesh1 gets it once, mesh2's users never
    plainUser.socket.emit('msg', { to: 'mesh1', msg: 'hola mesh' });
    for (const user of [meshUser, meshUser2]) {
      const atMesh = await received(user, 'hola mesh');
      expect(atMesh[0]).toMatchObject({ from: 'plain1', to: 'mesh1', msg: 'hola mesh' });
    }
    plainUser.socket.emit('msg', { to: 'mesh1', msg: 'marker to mesh1' });
    plainUser.socket.emit('msg', { to: 'mesh2', msg: 'marker to mesh2' });
    for (const user of [meshUser, meshUser2]) {
      await received(user, 'marker to mesh1');
      expect(byText(user, 'hola mesh')).toHaveLength(1);
      expect(byText(user, 'marker to mesh2')).toEqual([]);
    }
    const atOther = await received(otherMeshUser, 'marker to mesh2');
    expect(atOther).toEqual([
      expect.objectContaining({ from: 'plain1', to: 'mesh2', msg: 'marker to mesh2' }),
    ]);
    expect(otherMeshUser.received.map((m) => m.msg)).toEqual(['marker to mesh2']);
  });

  it('a meshchat node joins a network of plain nodes, talks both ways and relays for them', async () => {
    const plainA = await startPlain('plainA');
    const plainB = await startPlain('plainB', plainA.url);
    const mesh = await startMesh('mesh3', [plainA.url]);

    const all = sortById([entry(plainA), entry(plainB), entry(mesh)]);
    for (const url of [plainA.url, plainB.url, mesh.url]) expect(await listNodes(url)).toEqual(all);
    expect(sortById(mesh.registry.list())).toEqual(all);

    const meshUser = await connectUser(mesh.url);
    const userA = await connectUser(plainA.url);
    const userB = await connectUser(plainB.url);

    // meshchat user -> plain node
    expect(await sendWithAck(meshUser, 'plainA', 'to A')).toEqual(DELIVERED);
    expect((await received(userA, 'to A'))[0]).toMatchObject({ from: 'mesh3', to: 'plainA', msg: 'to A' });
    expect(await sendWithAck(meshUser, 'plainA', 'marker to A')).toEqual(DELIVERED);
    await received(userA, 'marker to A');
    expect(byText(userA, 'to A')).toHaveLength(1);
    expect(byText(userB, 'to A')).toEqual([]);

    // plain user -> meshchat node
    userB.socket.emit('msg', { to: 'mesh3', msg: 'from B' });
    expect((await received(meshUser, 'from B'))[0]).toMatchObject({
      from: 'plainB',
      to: 'mesh3',
      msg: 'from B',
    });
    userB.socket.emit('msg', { to: 'mesh3', msg: 'marker from B' });
    await received(meshUser, 'marker from B');
    expect(byText(meshUser, 'from B')).toHaveLength(1);

    // a plain client asks the meshchat node to relay plainA -> plainB (SPEC section 2)
    expect(await putMsg(mesh.url, { from: 'plainA', to: 'plainB', msg: 'relay me' })).toSatisfy(is2xx);
    const relayed = await received(userB, 'relay me');
    expect(relayed[0]).toMatchObject({ from: 'plainA', to: 'plainB', msg: 'relay me', hops: 1 });
    expect(await putMsg(mesh.url, { from: 'plainA', to: 'plainB', msg: 'relay marker' })).toSatisfy(is2xx);
    await received(userB, 'relay marker');
    expect(byText(userB, 'relay me')).toHaveLength(1);
    expect(byText(userA, 'relay me')).toEqual([]);
    expect(byText(meshUser, 'relay me')).toEqual([]);
  });

  it('leaving is understood both ways', async () => {
    const plainA = await startPlain('plainL1');
    const plainB = await startPlain('plainL2', plainA.url);
    const mesh = await startMesh('meshL', [plainA.url]);
    expect(await listNodes(plainA.url)).toEqual(sortById([entry(plainA), entry(plainB), entry(mesh)]));

    // a plain node leaves (SIGTERM): it sends DELETE /nodes/<id> {url} to everyone before exiting
    expect(await plainB.stop('SIGTERM')).toBe(0);
    await waitFor(() => mesh.registry.list().every((n) => n.id !== 'plainL2'));
    expect(sortById(mesh.registry.list())).toEqual(sortById([entry(plainA), entry(mesh)]));
    expect(await listNodes(mesh.url)).toEqual(sortById([entry(plainA), entry(mesh)]));

    // the meshchat node leaves: the plain node drops it
    expect(await mesh.stop()).toEqual({ notified: ['plainL1'], unreachable: [] });
    await waitFor(async () => (await listNodes(plainA.url)).every((n) => n.id !== 'meshL'));
    expect(await listNodes(plainA.url)).toEqual([entry(plainA)]);
  });

  it('a meshchat node leaving a mixed network is dropped by every plain node', async () => {
    const mesh1 = await startMesh('meshM1');
    const plain1 = await startPlain('plainM1', mesh1.url);
    const plain2 = await startPlain('plainM2', mesh1.url);
    for (const url of [plain1.url, plain2.url]) {
      expect(await listNodes(url)).toEqual(sortById([entry(mesh1), entry(plain1), entry(plain2)]));
    }

    expect(await mesh1.stop()).toEqual({ notified: ['plainM1', 'plainM2'], unreachable: [] });
    for (const url of [plain1.url, plain2.url]) {
      await waitFor(async () => (await listNodes(url)).every((n) => n.id !== 'meshM1'));
      expect(await listNodes(url)).toEqual(sortById([entry(plain1), entry(plain2)]));
    }
  });

  it("accepts the assignment's echo client: PUT /msg {msg} with no from/to", async () => {
    const mesh = await startMesh('meshEcho');
    const user = await connectUser(mesh.url);

    expect(await putMsg(mesh.url, { msg: 'eco' })).toSatisfy(is2xx);
    expect((await received(user, 'eco'))[0]).toMatchObject({ msg: 'eco' });
    expect(await putMsg(mesh.url, { msg: 'eco marker' })).toSatisfy(is2xx);
    await received(user, 'eco marker');
    expect(byText(user, 'eco')).toHaveLength(1);
  });
});
