import { describe, expect, it } from 'vitest';
import { DEFAULT_RATE_LIMITS } from '../../src/domain/rate-limits.js';
import { memoryHttpApp, TEST_WEB } from '../support/http-app.js';

/** What `@hono/node-server` hands the app: the request's socket, with its peer address. */
const from = (remoteAddress: string) => ({ incoming: { socket: { remoteAddress } } });

async function limitedApp(options: { trustForwardedFor?: boolean } = {}) {
  const fixture = await memoryHttpApp();
  const rateLimits = {
    ...DEFAULT_RATE_LIMITS,
    http: { ratePerSecond: 1, burst: 3 },
    peer: { ratePerSecond: 1, burst: 2 },
  };
  const app = fixture.build(TEST_WEB, { rateLimits, now: () => fixture.clock.now(), ...options });
  return { ...fixture, app, rateLimits };
}

describe('HTTP rate limits per client address', () => {
  it('refuses past the burst with 429, Retry-After and a JSON sentence, per address, and refills in time', async () => {
    const { app, clock } = await limitedApp();
    const get = (address: string) => app.request('/healthz', {}, from(address));
    expect([(await get('198.51.100.1')).status, (await get('198.51.100.1')).status]).toEqual([200, 200]);
    expect((await get('198.51.100.1')).status).toBe(200);
    const refused = await get('198.51.100.1');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await refused.json()).toEqual({
      error: { code: 'rate_limited', message: 'Too many requests from this address; try again in 1 second.' },
    });
    expect((await get('198.51.100.2')).status).toBe(200);
    await clock.advance(1_000);
    expect((await get('198.51.100.1')).status).toBe(200);
  });

  it('keeps a separate budget for the node-to-node routes, and refuses before reading the body', async () => {
    const { app } = await limitedApp();
    for (let i = 0; i < 3; i++) await app.request('/healthz', {}, from('198.51.100.3'));
    expect((await app.request('/nodes', {}, from('198.51.100.3'))).status).toBe(200);
    expect((await app.request('/nodes', {}, from('198.51.100.3'))).status).toBe(200);
    const put = await app.request(
      '/msg',
      { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{not json' },
      from('198.51.100.3'),
    );
    expect(put.status).toBe(429);
  });

  it('behind a tunnel, keys loopback requests by the last X-Forwarded-For entry only', async () => {
    const { app } = await limitedApp({ trustForwardedFor: true });
    const via = (forwarded: string) =>
      app.request('/healthz', { headers: { 'x-forwarded-for': forwarded } }, from('127.0.0.1'));
    for (let i = 0; i < 3; i++) expect((await via(`10.9.9.${i}, 203.0.113.7`)).status).toBe(200);
    expect((await via('203.0.113.7')).status).toBe(429);
    expect((await via('203.0.113.8')).status).toBe(200);
  });

  it('advertises every limit at GET /limits, and a request without a socket is not limited', async () => {
    const { app, rateLimits } = await limitedApp();
    for (let i = 0; i < 10; i++) expect((await app.request('/healthz')).status).toBe(200);
    expect(await (await app.request('/limits')).json()).toEqual({
      ...rateLimits,
      history: { page: 100, maxPage: 500 },
    });
  });
});
