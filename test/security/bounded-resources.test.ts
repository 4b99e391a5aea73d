import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { MeshNode } from '../../src/mesh-node.js';
import type { NodeConfig } from '../../src/node-config.js';
import { waitFor } from '../interop/plain-node/wait-for.js';
import { startTestNode, stopAll } from '../support/nodes.js';
import { connectSocketIoUser, connectWsUser, type TestUser } from '../support/users.js';

const UNLIMITED_SENDS: NodeConfig['rateLimits'] = {
  connection: { ratePerSecond: 0, burst: 0 },
  account: { ratePerSecond: 0, burst: 0 },
  address: { ratePerSecond: 0, burst: 0 },
};
/** Enough 60 KiB messages to pass the 8 MiB bound with the kernel's socket buffers full as well. */
const BIG = 'x'.repeat(60 * 1024);
const FLOOD = 600;

/** A TCP connection that sends the start of a request and never finishes its headers (slowloris). */
function slowloris(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write('GET /nodes HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
      // Read whatever the node answers (a 408), so its closing the connection is seen here.
      socket.resume();
      resolve(socket);
    });
    socket.on('error', () => socket.destroy());
    socket.once('error', reject);
  });
}

function openWs(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws`);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

describe('bounded resources', () => {
  const nodes: MeshNode[] = [];
  const users: TestUser[] = [];
  const sockets: { destroy(): void }[] = [];
  afterEach(async () => {
    for (const user of users.splice(0)) user.close();
    for (const socket of sockets.splice(0)) socket.destroy();
    await stopAll(nodes);
  });

  async function node(config: Partial<NodeConfig>) {
    const started = await startTestNode('bounded', { config });
    nodes.push(started);
    return started;
  }

  it('cuts off a /ws client that does not read, and the others keep receiving', async () => {
    const a = await node({ rateLimits: UNLIMITED_SENDS });
    const stalled = await openWs(a.url);
    sockets.push({ destroy: () => stalled.terminate() });
    let closed = false;
    stalled.on('close', () => {
      closed = true;
    });
    stalled.pause();
    const reader = await connectWsUser(a.url);
    const sender = await connectWsUser(a.url);
    users.push(reader, sender);
    await waitFor(() => a.connectedUsers === 3);
    for (let i = 0; i < FLOOD; i++)
      expect(await sender.send('bounded', `${i} ${BIG}`)).toMatchObject({ ok: true });
    await waitFor(() => a.connectedUsers === 2, 10_000);
    await waitFor(() => reader.messages.length === FLOOD, 10_000);
    stalled.resume();
    await waitFor(() => closed, 10_000);
  });

  it('cuts off a socket.io client that does not read, and the others keep receiving', async () => {
    const a = await node({ rateLimits: UNLIMITED_SENDS });
    const stalled = await connectSocketIoUser(a.url);
    const reader = await connectSocketIoUser(a.url);
    const sender = await connectWsUser(a.url);
    users.push(stalled, reader, sender);
    const engine = stalled.socket.io.engine as unknown as { transport: { ws: { _socket: net.Socket } } };
    engine.transport.ws._socket.pause();
    await waitFor(() => a.connectedUsers === 3);
    for (let i = 0; i < FLOOD; i++)
      expect(await sender.send('bounded', `${i} ${BIG}`)).toMatchObject({ ok: true });
    await waitFor(() => a.connectedUsers === 2, 10_000);
    await waitFor(() => reader.messages.length === FLOOD, 10_000);
  });

  it('refuses connections over the per-address cap with a clear 503, and takes them again once some close', async () => {
    const a = await node({ connections: { maxPerAddress: 5 } });
    for (let i = 0; i < 5; i++) sockets.push(await slowloris(a.port));
    const refused = await fetch(`${a.url}/nodes`);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.json()).toMatchObject({ error: { code: 'too_many_connections' } });
    for (const socket of sockets.splice(0)) socket.destroy();
    await waitFor(async () => (await fetch(`${a.url}/nodes`)).status === 200);
  });

  it('closes connections that never finish their headers (slowloris)', async () => {
    const a = await node({ connections: { headersTimeoutMs: 300, checkIntervalMs: 100 } });
    const slow = await Promise.all(Array.from({ length: 20 }, () => slowloris(a.port)));
    sockets.push(...slow);
    await waitFor(() => slow.every((socket) => socket.closed || socket.readableEnded), 10_000);
  });

  it('500 idle /ws clients and 500 slowloris connections leave GET /nodes answering', async () => {
    // Every upgrade takes from its address's HTTP budget, and here all come from one address.
    const a = await node({
      connections: { maxPerAddress: 2_000 },
      rateLimits: { http: { ratePerSecond: 0, burst: 0 } },
    });
    for (let i = 0; i < 500; i++) {
      const ws = await openWs(a.url);
      sockets.push({ destroy: () => ws.terminate() });
    }
    for (let i = 0; i < 500; i++) sockets.push(await slowloris(a.port));
    await waitFor(() => a.connectedUsers === 500);
    const answer = await fetch(`${a.url}/nodes`);
    expect(answer.status).toBe(200);
    expect(Array.isArray(await answer.json())).toBe(true);
  }, 60_000);

  it('bounds the same crowd by the default per-address cap', async () => {
    const a = await node({});
    let refused = 0;
    for (let i = 0; i < 300; i++) {
      try {
        const ws = await openWs(a.url);
        sockets.push({ destroy: () => ws.terminate() });
      } catch {
        refused++;
      }
    }
    expect(a.connectedUsers).toBeLessThanOrEqual(256);
    expect(refused).toBeGreaterThanOrEqual(300 - 256);
  }, 60_000);
});
