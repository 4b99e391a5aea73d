import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NETWORK_PROOF_HEADER, NetworkKey } from '../../src/adapters/crypto/network-key.js';
import type { MeshNode } from '../../src/mesh-node.js';
import { FUZZ_SEED } from '../support/fuzz.js';
import { memoryHttpApp } from '../support/http-app.js';
import { startTestNode, stopAll } from '../support/nodes.js';

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
/** A `sig`: base64url-like text of about an Ed25519 signature's length, anything else, or any value. */
const signature = fc.oneof(
  fc.base64String({ minLength: 84, maxLength: 92 }).map((b) => b.replace(/\+/g, '-').replace(/\//g, '_')),
  fc.string({ maxLength: 120 }),
  fc.constantFrom('', 'ed25519:', 'x'.repeat(5_000)),
  anyValue,
);
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
      fromUser: anyValue,
      sig: signature,
    },
    { requiredKeys: [] },
  ),
  fc.record(
    {
      messages: fc.oneof(fc.array(anyValue, { maxLength: 5 }), anyValue),
      signer: fc.oneof(fc.constantFrom('a', 'b', 'keyed', ''), anyValue),
      sig: signature,
    },
    { requiredKeys: [] },
  ),
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

/** Asserts what every answer must be: never 5xx, and a 4xx (but to HEAD) a JSON error with a code and a sentence. */
async function expectClientAnswer(res: Response, m: string, p: string): Promise<void> {
  expect(res.status, `${m} ${p}`).toBeLessThan(500);
  if (res.status >= 400 && m !== 'HEAD') {
    expect(res.headers.get('content-type'), `${m} ${p}`).toContain('application/json');
    const answer = (await res.json()) as { error?: { code?: unknown; message?: unknown } };
    expect(typeof answer.error?.code, `${m} ${p}`).toBe('string');
    expect(answer.error?.message, `${m} ${p}`).toMatch(/^\S.{9,}/);
  } else await res.arrayBuffer();
}

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
        await expectClientAnswer(res, m, p);
      }),
      { seed: FUZZ_SEED, numRuns: 400 },
    );
  });
});

const KEY = 'the fuzzed network key, long enough';

/** GET `path` from 127.0.0.2, a client address the fuzzing (from 127.0.0.1) has not spent the budget of. */
function statusFromAnotherAddress(url: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { localAddress: '127.0.0.2' }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('a real node with a network key, a data dir and rate limits, under arbitrary requests (fast-check)', () => {
  const nodes: MeshNode[] = [];
  let node: MeshNode;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'meshchat-fuzz-'));
    // Budgets the run spends (500 requests from one address, each budget about half of them): the later calls
    // are refused, so refusals are fuzzed too, and the earlier ones reach the key check and the routes.
    node = await startTestNode('keyed', {
      config: {
        networkKey: KEY,
        dataDir: dir,
        rateLimits: { http: { ratePerSecond: 5, burst: 150 }, peer: { ratePerSecond: 5, burst: 150 } },
      },
    });
    nodes.push(node);
  });
  afterAll(async () => {
    await stopAll(nodes);
    rmSync(dir, { recursive: true, force: true });
  });

  it('never answers 5xx nor crashes, whatever the Meshchat-Network proof, sig and signer', async () => {
    const good = new NetworkKey(KEY, { now: Date.now });
    const wrong = new NetworkKey('not the key of this network at all', { now: Date.now });
    const stale = new NetworkKey(KEY, { now: () => Date.now() - 60 * 60_000 });
    const replayed = good.prove('POST', '/msgs');
    const proofKind = fc.constantFrom('none', 'good', 'wrong', 'stale', 'replayed', 'garbage');
    const garbage = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.constantFrom('v1', 'v1...', `v1.${Date.now()}.x.y`, 'v1.1.AAAA.AAAA', 'x'.repeat(9_000)),
    );
    const tally = { status: new Map<number, number>() };
    // No call may leave loopback: a body naming a URL names 127.0.0.1 or is skipped.
    const loopbackBody = body.filter((text) => !/:\/\/(?!127\.0\.0\.1[:/])/i.test(text));
    // Half the calls go to the node-to-node routes with a JSON body, where the proof, `sig` and `signer` are read.
    const call = fc.oneof(
      fc.tuple(method, path, contentType),
      fc
        .constantFrom<[string, string]>(
          ['PUT', '/msg'],
          ['POST', '/msgs'],
          ['PUT', '/nodes/b'],
          ['DELETE', '/nodes/b'],
          ['GET', '/nodes'],
          ['GET', '/nodes/keyed'],
          ['POST', '/probe'],
          ['GET', '/files/catalog'],
        )
        .map(([m, p]): [string, string, string] => [m, p, 'application/json']),
    );
    await fc.assert(
      fc.asyncProperty(call, loopbackBody, proofKind, garbage, async ([m, p, type], text, kind, junk) => {
        const headers: Record<string, string> = {};
        if (type) headers['content-type'] = type;
        const proof =
          kind === 'good'
            ? good.prove(m, p)
            : kind === 'wrong'
              ? wrong.prove(m, p)
              : kind === 'stale'
                ? stale.prove(m, p)
                : kind === 'replayed'
                  ? replayed
                  : kind === 'garbage'
                    ? junk
                    : undefined;
        if (proof !== undefined && /^[\t\x20-\x7e]*$/.test(proof)) headers[NETWORK_PROOF_HEADER] = proof;
        const hasBody = m !== 'GET' && m !== 'HEAD';
        const res = await fetch(`${node.url}${p}`, {
          method: m,
          headers,
          ...(hasBody ? { body: text } : {}),
        });
        tally.status.set(res.status, (tally.status.get(res.status) ?? 0) + 1);
        await expectClientAnswer(res, m, p);
      }),
      { seed: FUZZ_SEED, numRuns: 500 },
    );
    // The fuzzed path reached the key check and the rate limits, not only the routes.
    expect(tally.status.get(401)).toBeGreaterThan(0);
    expect(tally.status.get(429)).toBeGreaterThan(0);
    // The node still serves another client.
    expect(await statusFromAnotherAddress(node.url, '/healthz')).toBe(200);
  });
});
