import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FUZZ_SEED } from '../support/fuzz.js';
import { memoryHttpApp } from '../support/http-app.js';

const ROUTES = [
  '/nodes',
  '/nodes/{}',
  '/msg',
  '/msgs',
  '/probe',
  '/users',
  '/users/{}',
  '/sessions',
  '/sessions/current',
  '/healthz',
  '/metrics',
  '/mesh',
  '/limits',
  '/openapi.json',
  '/docs',
  '/',
];

const segment = fc.oneof(
  fc.constantFrom('a', 'b', 'x', 'alice', '..', '.', '%', '%00', '%2F', 'a'.repeat(300)),
  fc.string({ maxLength: 80 }).map(encodeURIComponent),
);
const path = fc.oneof(
  fc.tuple(fc.constantFrom(...ROUTES), segment).map(([route, s]) => route.replace('{}', s)),
  fc
    .tuple(fc.constantFrom(...ROUTES), fc.webQueryParameters())
    .map(([route, q]) => `${route.replace('{}', 'a')}?${q}`),
  fc.webPath(),
  fc.array(segment, { maxLength: 4 }).map((parts) => `/${parts.join('/')}`),
);
const method = fc.constantFrom('GET', 'PUT', 'POST', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS');
const anyValue = fc.jsonValue({ maxDepth: 3 });
const url = fc.oneof(fc.webUrl(), fc.string({ maxLength: 40 }), fc.constant('http://127.0.0.1:1'), anyValue);
const shaped = fc.oneof(
  fc.record({ url, incarnation: fc.oneof(fc.integer(), fc.double(), anyValue) }, { requiredKeys: [] }),
  fc.record({ url, reason: fc.oneof(fc.constantFrom('dead', 'left'), anyValue) }, { requiredKeys: [] }),
  fc.record({ id: anyValue, url }, { requiredKeys: [] }),
  fc.record(
    {
      from: fc.oneof(fc.constantFrom('a', 'b'), anyValue),
      to: fc.oneof(fc.constantFrom('a', 'b', '*', 'zz'), anyValue),
      msg: fc.oneof(fc.string({ maxLength: 200 }), anyValue),
      id: anyValue,
      ts: fc.oneof(
        fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
        anyValue,
      ),
      hops: fc.oneof(fc.integer({ min: -2, max: 5 }), anyValue),
      user: anyValue,
    },
    { requiredKeys: [] },
  ),
  fc.record({ messages: fc.oneof(fc.array(anyValue, { maxLength: 5 }), anyValue) }, { requiredKeys: [] }),
  fc.record({ name: anyValue, password: anyValue }, { requiredKeys: [] }),
);
const body = fc.oneof(
  shaped.map((value) => JSON.stringify(value)),
  anyValue.map((value) => JSON.stringify(value)),
  fc.string({ maxLength: 300 }),
  fc.constantFrom('', '{', '[]', 'null', '"x"', '{"url":', '\u0000', '{"__proto__":{"x":1}}'),
);
const contentType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'application/problem+json',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  '',
);
const authorization = fc.option(
  fc.oneof(
    fc.constantFrom('Bearer token-1', 'Bearer', 'Basic abc', `Bearer ${'x'.repeat(600)}`),
    fc.string({ maxLength: 40 }),
  ),
  { nil: undefined },
);

describe('the HTTP API under arbitrary requests (fast-check)', () => {
  it('never answers 5xx, and every 4xx is a JSON error with a code and a sentence', async () => {
    const { app } = await memoryHttpApp();
    await fc.assert(
      fc.asyncProperty(method, path, contentType, body, authorization, async (m, p, type, text, auth) => {
        const headers: Record<string, string> = {};
        if (type) headers['content-type'] = type;
        if (auth !== undefined && /^[\t\x20-\x7e]*$/.test(auth)) headers.authorization = auth;
        const hasBody = m !== 'GET' && m !== 'HEAD';
        const res = await app.request(p, { method: m, headers, ...(hasBody ? { body: text } : {}) });
        expect(res.status, `${m} ${p}`).toBeLessThan(500);
        if (res.status >= 400 && m !== 'HEAD') {
          expect(res.headers.get('content-type'), `${m} ${p}`).toContain('application/json');
          const answer = (await res.json()) as { error?: { code?: unknown; message?: unknown } };
          expect(typeof answer.error?.code, `${m} ${p}`).toBe('string');
          expect(answer.error?.message, `${m} ${p}`).toMatch(/^\S.{9,}/);
        } else await res.arrayBuffer();
      }),
      { seed: FUZZ_SEED, numRuns: 400 },
    );
  });
});
