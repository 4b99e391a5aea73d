import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { NodeHttpServer } from '../../src/adapters/http/node-http-server.js';
import { WsLinkServer } from '../../src/adapters/peers/ws-link-server.js';
import { WsPeerLink } from '../../src/adapters/peers/ws-peer-link.js';

/** Resolves when `check` holds, polling every 20 ms; rejects at the deadline. */
async function until(check: () => boolean, deadlineMs = 5_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met before the deadline');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('NodeHttpServer and long uploads', () => {
  let server: NodeHttpServer | undefined;
  afterEach(async () => {
    await server?.close();
  });

  it("has no cap on a whole request's duration, and drops a request whose connection goes silent", async () => {
    const app = new Hono();
    // The dropped request's body read fails; that is the point, not something to print.
    app.onError((_error, c) => c.text('dropped', 400));
    app.post('/upload', async (c) => c.text(String((await c.req.arrayBuffer()).byteLength)));
    server = new NodeHttpServer(app, { requestIdleMs: 300 });
    expect(server.server.requestTimeout).toBe(0);
    const port = await server.listen(0, '127.0.0.1');

    // Bytes that keep coming, each within the idle time, are read however long the upload takes in all.
    const steady = connect(port, '127.0.0.1');
    let answer = '';
    steady.on('data', (d) => {
      answer += d.toString();
    });
    steady.write('POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\nConnection: close\r\n\r\n');
    for (const piece of ['ab', 'cd', 'ef']) {
      await new Promise((resolve) => setTimeout(resolve, 150));
      steady.write(piece);
    }
    await until(() => answer.includes('\r\n\r\n6'));
    steady.destroy();

    // A body that stops arriving is dropped, the connection closed.
    const stalled = connect(port, '127.0.0.1');
    let closed = false;
    stalled.on('close', () => {
      closed = true;
    });
    stalled.on('error', () => {});
    stalled.write('POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly ten b');
    await until(() => closed);
  });
});

describe('NodeHttpServer: the idle drop and 100-continue leave the upgrades alone', () => {
  const closers: (() => unknown)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  /** A server dropping silent requests after 200 ms, with peer links at /peer and an echo WebSocket at /ws. */
  async function serve() {
    const app = new Hono();
    app.get('/ok', (c) => c.text('ok'));
    app.put('/msg', async (c) => c.json(await c.req.json()));
    const http = new NodeHttpServer(app, { requestIdleMs: 200 });
    const links = new WsLinkServer(app);
    links.attach(http);
    const echo = new WebSocketServer({ noServer: true });
    http.claimUpgrades('/ws');
    http.server.on('upgrade', (request, socket, head) => {
      if (request.url !== '/ws') return;
      echo.handleUpgrade(request, socket, head, (ws) => ws.on('message', (data) => ws.send(String(data))));
    });
    const port = await http.listen(0, '127.0.0.1');
    closers.push(
      () => http.close(),
      () => links.close(),
      () => new Promise((resolve) => echo.close(resolve)),
    );
    return { port, base: `http://127.0.0.1:${port}` };
  }

  const idle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('a peer link and a /ws socket silent for longer than the request idle time stay open and work', async () => {
    const { base } = await serve();
    const link = await WsPeerLink.open(base);
    closers.push(() => link.close());
    const ws = new WebSocket(`${base.replace('http', 'ws')}/ws`);
    closers.push(() => ws.terminate());
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    await idle(700);
    expect(link.isOpen).toBe(true);
    expect(await link.call('PUT', '/msg', { msg: 'after a silence' }, 2_000)).toEqual({
      status: 200,
      text: JSON.stringify({ msg: 'after a silence' }),
    });
    const echoed = new Promise((resolve) => ws.once('message', (data) => resolve(String(data))));
    ws.send('still here');
    expect(await echoed).toBe('still here');
  });

  it('a kept-alive connection that served a request, then upgrades, is not dropped by that request', async () => {
    const { port } = await serve();
    const socket: Socket = connect(port, '127.0.0.1');
    closers.push(() => socket.destroy());
    let received = '';
    let closed = false;
    socket.on('data', (d) => {
      received += d.toString('latin1');
    });
    socket.on('close', () => {
      closed = true;
    });
    socket.write('GET /ok HTTP/1.1\r\nHost: x\r\n\r\n');
    await until(() => received.endsWith('\r\n\r\nok'));
    const key = randomBytes(16).toString('base64');
    socket.write(
      `GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    await until(() => received.includes('101 Switching Protocols'));
    await idle(700);
    expect(closed).toBe(false);
  });
});
