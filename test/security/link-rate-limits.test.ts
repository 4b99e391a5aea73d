// Peer links are no way around a rate limit: every request a link carries runs through the app and is charged
// to the link's client under the budget its route has over HTTP (the node-to-node `peer` one for `/nodes…`,
// `/msg`, `/msgs`, `/probe`), and each `/peer` upgrade takes one request from the client's `http` budget.
// Everything runs on 127.0.0.1.
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { DirectRequest } from '../../src/adapters/http/create-http-app.js';
import { HttpRateLimits } from '../../src/adapters/http/http-rate-limits.js';
import { NodeHttpServer } from '../../src/adapters/http/node-http-server.js';
import { LINK_SERVER_DEFAULTS, WsLinkServer } from '../../src/adapters/peers/ws-link-server.js';
import { LinkRefused, WsPeerLink } from '../../src/adapters/peers/ws-peer-link.js';
import { DEFAULT_RATE_LIMITS } from '../../src/domain/rate-limits.js';
import type { MeshNode } from '../../src/mesh-node.js';
import { memoryHttpApp, TEST_WEB } from '../support/http-app.js';
import { startTestNode, stopAll } from '../support/nodes.js';

const nodes: MeshNode[] = [];
const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await stopAll(nodes);
});

/** Practically no refill during a test: each budget is its burst. */
const budget = (burst: number) => ({ ratePerSecond: 0.001, burst });

async function link(url: string): Promise<WsPeerLink> {
  const opened = await WsPeerLink.open(url);
  closers.push(() => opened.close());
  return opened;
}

/** Opens a raw WebSocket to `/peer` and resolves with the status and Retry-After it was refused with, if any. */
function upgradeRefusal(url: string): Promise<{ status: number; retryAfter?: string; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/peer`);
    ws.on('unexpected-response', (_request, response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, retryAfter: response.headers['retry-after'], body }),
      );
    });
    ws.on('open', () => {
      ws.close();
      reject(new Error('the upgrade was accepted'));
    });
    ws.on('error', () => {});
  });
}

describe('rate limits on peer links', () => {
  it("charges a link's requests to its peer under the node-to-node budget, shared with its HTTP requests", async () => {
    const node = await startTestNode('limited', {
      config: { rateLimits: { peer: budget(3), http: budget(5) } },
    });
    nodes.push(node);
    const peer = await link(node.url);
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await peer.call('GET', '/nodes', undefined, 5_000)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const refused = await peer.call('PUT', '/msg', { not: 'even read' }, 5_000);
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.text)).toEqual({
      error: { code: 'rate_limited', message: expect.stringMatching(/^Too many requests from this address/) },
    });
    // Over HTTP from the same address: the same bucket, already empty; the `http` budget is another one.
    expect((await fetch(`${node.url}/nodes`)).status).toBe(429);
    expect((await fetch(`${node.url}/healthz`)).status).toBe(200);
  });

  it('charges each /peer upgrade to the HTTP budget of its address: 429 with Retry-After past it', async () => {
    const node = await startTestNode('limited', {
      config: { rateLimits: { peer: budget(100), http: budget(3) } },
    });
    nodes.push(node);
    const open = await link(node.url);
    await link(node.url);
    expect((await fetch(`${node.url}/healthz`)).status).toBe(200);
    const refusal = await upgradeRefusal(node.url);
    expect(refusal.status).toBe(429);
    expect(refusal.retryAfter).toMatch(/^\d+$/);
    expect(JSON.parse(refusal.body)).toMatchObject({ error: { code: 'rate_limited' } });
    await expect(WsPeerLink.open(node.url)).rejects.toEqual(new LinkRefused(429));
    // The links already open are not cut: their requests stay under the node-to-node budget.
    expect((await open.call('GET', '/nodes', undefined, 5_000)).status).toBe(200);
  });

  it("behind a tunnel, a frame's own X-Forwarded-For picks no fresh budget: the upgrade's is the client", async () => {
    const fixture = await memoryHttpApp();
    const rateLimits = { ...DEFAULT_RATE_LIMITS, peer: budget(2), http: budget(10) };
    const limiter = new HttpRateLimits(rateLimits, {
      now: () => fixture.clock.now(),
      trustForwardedFor: true,
    });
    const app = fixture.build(TEST_WEB, { rateLimits, limiter });
    const http = new NodeHttpServer(app);
    const server = new WsLinkServer(app, LINK_SERVER_DEFAULTS, limiter);
    server.attach(http);
    const port = await http.listen(0, '127.0.0.1');
    closers.push(
      () => http.close(),
      () => server.close(),
    );
    /** A raw link whose upgrade carries `forwarded` (what ngrok writes), sending frames with their own. */
    const rawLink = async (forwarded?: string) => {
      const headers = forwarded === undefined ? {} : { 'x-forwarded-for': forwarded };
      const ws = new WebSocket(`ws://127.0.0.1:${port}/peer`, { headers });
      closers.push(() => ws.terminate());
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      const answers = new Map<number, number>();
      ws.on('message', (data) => {
        const { id, status } = JSON.parse(data.toString()) as { id: number; status: number };
        answers.set(id, status);
      });
      return async (id: number, frameForwarded: string) => {
        ws.send(
          JSON.stringify({
            id,
            method: 'GET',
            path: '/nodes',
            headers: { 'x-forwarded-for': frameForwarded },
          }),
        );
        while (!answers.has(id)) await new Promise((resolve) => setTimeout(resolve, 5));
        return answers.get(id);
      };
    };
    const first = await rawLink('203.0.113.7');
    const statuses = [];
    for (let i = 1; i <= 4; i++) statuses.push(await first(i, `198.51.100.${i}`));
    expect(statuses).toEqual([200, 200, 429, 429]);
    // Another client of the tunnel (another X-Forwarded-For on its upgrade) has its own budget.
    const second = await rawLink('203.0.113.8');
    expect(await second(1, '203.0.113.7')).toBe(200);
    // A link from loopback without the header is loopback's, whatever its frames say.
    const local = await rawLink();
    const fromLoopback = [];
    for (let i = 1; i <= 3; i++) fromLoopback.push(await local(i, `198.51.100.${10 + i}`));
    expect(fromLoopback).toEqual([200, 200, 429]);
  });
  it('charges a message batch the link runs straight from the route table (no Request) as the route would', async () => {
    const fixture = await memoryHttpApp();
    const rateLimits = { ...DEFAULT_RATE_LIMITS, peer: budget(3), http: budget(10) };
    const limiter = new HttpRateLimits(rateLimits, { now: () => fixture.clock.now() });
    const built = fixture.build(TEST_WEB, { rateLimits, limiter });
    // Counts the requests the direct path took, so the case fails if the batches went through `fetch` instead.
    let taken = 0;
    const original = built.direct;
    const app = Object.assign(built, {
      direct: (request: DirectRequest) => {
        const answered = original(request);
        if (answered) taken++;
        return answered;
      },
    });
    const http = new NodeHttpServer(app);
    const server = new WsLinkServer(app, LINK_SERVER_DEFAULTS, limiter);
    server.attach(http);
    const port = await http.listen(0, '127.0.0.1');
    closers.push(
      () => http.close(),
      () => server.close(),
    );
    const url = `http://127.0.0.1:${port}`;
    const peer = await link(url);
    const batch = (i: number) => ({
      messages: [{ id: `d-${i}`, from: 'b', to: 'a', msg: `hello ${i}`, ts: '2026-01-01T00:00:00.000Z' }],
    });
    const statuses = [];
    for (let i = 1; i <= 4; i++) statuses.push((await peer.call('POST', '/msgs', batch(i), 5_000)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(taken).toBe(4);
    const refused = await peer.call('PUT', '/msg', batch(5).messages[0], 5_000);
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.text)).toMatchObject({ error: { code: 'rate_limited' } });
    expect(taken).toBe(5);
    // The refused batches were not run; over HTTP from the same address the same bucket is empty.
    expect(fixture.a.store.history().map((h) => h.id)).toEqual(['d-1', 'd-2', 'd-3']);
    expect((await fetch(`${url}/msgs`, { method: 'POST', body: '{}' })).status).toBe(429);
  });
});
