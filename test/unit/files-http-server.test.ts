import { connect } from 'node:net';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { NodeHttpServer } from '../../src/adapters/http/node-http-server.js';

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
