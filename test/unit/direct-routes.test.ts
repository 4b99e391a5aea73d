import { describe, expect, it } from 'vitest';
import type { DirectRequest } from '../../src/adapters/http/create-http-app.js';
import { HttpRateLimits } from '../../src/adapters/http/http-rate-limits.js';
import { DEFAULT_RATE_LIMITS } from '../../src/domain/rate-limits.js';
import { memoryHttpApp, TEST_WEB } from '../support/http-app.js';

/** What the app answers a request through `fetch`, and what `direct` answers it on a twin node. */
async function bothWays(method: string, path: string, body: unknown) {
  const viaFetch = await memoryHttpApp();
  const viaDirect = await memoryHttpApp();
  const text = JSON.stringify(body);
  const response = await viaFetch.app.request(path, {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: text,
  });
  const request: DirectRequest = { method, path, body, bytes: Buffer.byteLength(text), incoming: {} };
  const answered = viaDirect.app.direct(request);
  expect(answered).toBeDefined();
  const direct = await answered;
  return {
    fetched: { status: response.status, text: await response.text() },
    direct: { status: direct?.status, text: direct?.text },
    nodes: { fetched: viaFetch, direct: viaDirect },
  };
}

const message = (id: string, to = 'a') => ({
  id,
  from: 'b',
  to,
  msg: `hello ${id}`,
  ts: '2026-01-01T00:00:00.000Z',
});

describe('the message routes without HTTP (what a peer link runs)', () => {
  it('answers a batch exactly as the app does, bad items and refusals included, and stores the same', async () => {
    const batch = {
      messages: [message('m-1'), { msg: 42 }, message('m-2', 'nowhere'), message('m-3'), message('m-1')],
    };
    const { fetched, direct, nodes } = await bothWays('POST', '/msgs', batch);
    expect(direct).toEqual(fetched);
    expect(fetched.status).toBe(200);
    const seen = (node: typeof nodes.fetched) => node.a.store.history().map((h) => h.id);
    expect(seen(nodes.direct)).toEqual(seen(nodes.fetched));
    expect(seen(nodes.direct)).toEqual(['m-1', 'm-3']);
  });

  it('refuses a body its schema refuses, with the same status and sentence', async () => {
    for (const body of [{ messages: [] }, [{ msg: 'x' }], { nothing: true }]) {
      const { fetched, direct } = await bothWays('POST', '/msgs', body);
      expect(fetched.status).toBe(400);
      expect(direct).toEqual(fetched);
    }
  });

  it('answers PUT /msg as the app does: delivered, duplicate-free ids, unknown nodes, bad fields', async () => {
    for (const body of [
      message('p-1'),
      message('p-2', 'nowhere'),
      { msg: 7 },
      { ...message('p-3'), ts: 'no' },
    ]) {
      const { fetched, direct } = await bothWays('PUT', '/msg', body);
      expect(direct).toEqual(fetched);
    }
  });

  it('leaves everything else to the app: other routes, a query, a body past the limit or missing', async () => {
    const { app } = await memoryHttpApp();
    const request = (over: Partial<DirectRequest>) => ({
      method: 'POST',
      path: '/msgs',
      body: { messages: [message('x-1')] },
      bytes: 100,
      incoming: {},
      ...over,
    });
    expect(app.direct(request({ method: 'GET', path: '/nodes', body: undefined }))).toBeUndefined();
    expect(app.direct(request({ method: 'PUT', path: '/nodes/b' }))).toBeUndefined();
    expect(app.direct(request({ path: '/msgs?x=1' }))).toBeUndefined();
    expect(app.direct(request({ method: 'GET' }))).toBeUndefined();
    expect(app.direct(request({ bytes: 512 * 1024 + 1 }))).toBeUndefined();
    expect(app.direct(request({ body: undefined }))).toBeUndefined();
    expect(app.direct(request({}))).toBeDefined();
  });
  it("charges the link's client on the node-to-node budget as the app does, and refuses as it does", async () => {
    const rateLimits = { ...DEFAULT_RATE_LIMITS, peer: { ratePerSecond: 0.001, burst: 2 } };
    const limited = async () => {
      const fixture = await memoryHttpApp();
      const limiter = new HttpRateLimits(rateLimits, { now: () => fixture.clock.now() });
      return fixture.build(TEST_WEB, { rateLimits, limiter });
    };
    const [viaFetch, viaDirect] = [await limited(), await limited()];
    const incoming = { socket: { remoteAddress: '198.51.100.9' }, headers: {} };
    const body = { messages: [message('r-1')] };
    const text = JSON.stringify(body);
    const fetched = [];
    const direct = [];
    // A request `direct` gives back is not charged by it (the app charges it when it runs it).
    expect(
      viaDirect.direct({ method: 'GET', path: '/nodes', body: undefined, bytes: 0, incoming }),
    ).toBeUndefined();
    for (let i = 0; i < 3; i++) {
      const response = await viaFetch.request(
        '/msgs',
        { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: text },
        { incoming },
      );
      fetched.push({
        status: response.status,
        text: await response.text(),
        retry: response.headers.get('retry-after'),
      });
      const answer = await viaDirect.direct({
        method: 'POST',
        path: '/msgs',
        body,
        bytes: text.length,
        incoming,
      });
      direct.push({
        status: answer?.status,
        text: answer?.text,
        retry: answer?.headers['Retry-After'] ?? null,
      });
    }
    expect(fetched.map((f) => f.status)).toEqual([200, 200, 429]);
    expect(direct).toEqual(fetched);
    // Another client has its own budget.
    const other = { socket: { remoteAddress: '198.51.100.10' }, headers: {} };
    expect(
      (await viaDirect.direct({ method: 'POST', path: '/msgs', body, bytes: 10, incoming: other }))?.status,
    ).toBe(200);
  });
});
