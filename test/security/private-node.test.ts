import { io } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { MeshNode } from '../../src/mesh-node.js';
import { waitFor } from '../interop/plain-node/wait-for.js';
import { callNode, registerAndLogin } from '../support/accounts-http.js';
import { startTestNode, stopAll } from '../support/nodes.js';
import { connectSocketIoUser, connectWsUser, type TestUser } from '../support/users.js';

/** A raw `/ws` client that records its frames and how it was closed. */
function rawWs(url: string) {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws`);
  const frames: Record<string, unknown>[] = [];
  let closed: number | undefined;
  ws.on('message', (data) => frames.push(JSON.parse(data.toString()) as Record<string, unknown>));
  ws.on('close', (code) => {
    closed = code;
  });
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return { ws, frames, opened, closedWith: () => closed };
}

describe('a private node (--private)', () => {
  const nodes: MeshNode[] = [];
  const users: TestUser[] = [];
  afterEach(async () => {
    for (const user of users.splice(0)) user.close();
    await stopAll(nodes);
  });

  async function node(privateNode: boolean) {
    const started = await startTestNode('priv', { config: { privateNode } });
    nodes.push(started);
    return started;
  }

  it('refuses an anonymous socket.io handshake with connect_error auth_required', async () => {
    const a = await node(true);
    const socket = io(a.url, { transports: ['websocket'], forceNew: true, reconnection: false });
    const error = await new Promise<Error & { data?: unknown }>((resolve) =>
      socket.once('connect_error', resolve),
    );
    socket.close();
    expect(error.data).toMatchObject({ code: 'auth_required', message: expect.stringContaining('private') });
  });

  it('serves a logged-in socket.io user: history, and its messages reach another logged-in user', async () => {
    const a = await node(true);
    const alice = await registerAndLogin(a.url, 'alice', 'correct horse battery');
    const bob = await registerAndLogin(a.url, 'bob', 'correct horse battery');
    const sender = await connectSocketIoUser(a.url, { auth: { token: alice.token } });
    const reader = await connectSocketIoUser(a.url, { auth: { token: bob.token } });
    users.push(sender, reader);
    await waitFor(() => sender.histories.length === 1);
    expect(await sender.send('priv', 'hello privately')).toMatchObject({ ok: true });
    await waitFor(() => reader.messages.some((m) => m.msg === 'hello privately'));
  });

  it('closes a /ws connection that sends no auth frame, with an auth_required error and no history', async () => {
    const a = await node(true);
    const client = rawWs(a.url);
    await client.opened;
    await waitFor(() => client.closedWith() !== undefined, 15_000);
    expect(client.closedWith()).toBe(4401);
    expect(client.frames).toEqual([
      { type: 'error', error: expect.objectContaining({ code: 'auth_required' }) },
    ]);
  });

  it('closes a /ws connection whose first frame is not auth, or carries a bad token', async () => {
    const a = await node(true);
    const chatty = rawWs(a.url);
    const forger = rawWs(a.url);
    await Promise.all([chatty.opened, forger.opened]);
    chatty.ws.send(JSON.stringify({ type: 'msg', to: 'priv', msg: 'let me in' }));
    forger.ws.send(JSON.stringify({ type: 'auth', token: 'not-a-token' }));
    await waitFor(() => chatty.closedWith() !== undefined && forger.closedWith() !== undefined);
    expect(chatty.closedWith()).toBe(4401);
    expect(chatty.frames.map((f) => f.type)).toEqual(['error']);
    expect(chatty.frames[0]).toMatchObject({ error: { code: 'auth_required' } });
    expect(forger.closedWith()).toBe(4401);
    expect(forger.frames.map((f) => f.type)).toEqual(['error']);
  });

  it('greets a /ws connection once its auth frame is good, and pushes it messages', async () => {
    const a = await node(true);
    const carol = await registerAndLogin(a.url, 'carol', 'correct horse battery');
    const client = rawWs(a.url);
    await client.opened;
    client.ws.send(JSON.stringify({ type: 'auth', token: carol.token }));
    await waitFor(() => client.frames.some((f) => f.type === 'mesh'));
    expect(client.frames.slice(0, 5).map((f) => f.type)).toEqual([
      'auth',
      'hello',
      'nodes',
      'history',
      'mesh',
    ]);
    const other = await connectSocketIoUser(a.url, { auth: { token: carol.token } });
    users.push(other);
    await other.send('priv', 'to the ws user');
    await waitFor(() => client.frames.some((f) => f.type === 'msg' && f.msg === 'to the ws user'));
    client.ws.close();
  });

  it('refuses PUT /msg without from (a user of a plain node) with 401, takes one from a node, and says so', async () => {
    const a = await node(true);
    const echo = await callNode(a.url, 'PUT', '/msg', { body: { msg: 'anonymous echo' } });
    expect(echo.status).toBe(401);
    expect(echo.body).toMatchObject({ error: { code: 'auth_required' } });
    const fromNode = await callNode(a.url, 'PUT', '/msg', {
      body: { from: 'plainpeer', to: 'priv', msg: 'hi' },
    });
    expect(fromNode.status).toBe(200);
    expect((await callNode(a.url, 'GET', '/limits')).body).toMatchObject({ private: true });
  });

  it("refuses a POST /msgs message without from with auth_required, and takes the batch's others", async () => {
    const a = await node(true);
    const batch = await callNode(a.url, 'POST', '/msgs', {
      body: {
        messages: [
          { id: 'anon-1', msg: 'anonymous in a batch' },
          { id: 'node-1', from: 'plainpeer', to: 'priv', msg: 'from a node' },
        ],
      },
    });
    expect(batch.status).toBe(200);
    expect(batch.body).toMatchObject({
      results: [
        { ok: false, httpStatus: 401, error: { code: 'auth_required' } },
        { ok: true, status: 'delivered' },
      ],
    });
  });

  it('stays open by default: anonymous socket.io, /ws and echo-mode PUT /msg all work', async () => {
    const a = await node(false);
    const sio = await connectSocketIoUser(a.url);
    const ws = await connectWsUser(a.url);
    users.push(sio, ws);
    expect(await ws.send('priv', 'anonymous ws')).toMatchObject({ ok: true });
    expect((await callNode(a.url, 'PUT', '/msg', { body: { msg: 'echo' } })).status).toBe(200);
    await waitFor(() => sio.messages.some((m) => m.msg === 'echo'));
    expect((await callNode(a.url, 'GET', '/limits')).body).not.toHaveProperty('private');
  });
});
