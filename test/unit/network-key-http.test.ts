import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NETWORK_PROOF_HEADER, NetworkKey } from '../../src/adapters/crypto/network-key.js';
import { ALL_ROUTES } from '../../src/adapters/http/routes/all-routes.js';
import { FUZZ_SEED } from '../support/fuzz.js';
import { memoryHttpApp } from '../support/http-app.js';

const KEY = 'a shared secret of the test network';

/** Node `a`'s app with a network key on the fixture's fake clock, and a member's key on the same clock. */
async function keyedApp() {
  const fixture = await memoryHttpApp();
  const now = () => fixture.clock.now();
  const app = fixture.build(undefined, { networkKey: new NetworkKey(KEY, { now }) });
  return { ...fixture, app, member: new NetworkKey(KEY, { now }) };
}

const PEER_ROUTES = ALL_ROUTES.filter((route) => route.peer).map((route) => ({
  method: route.method.toUpperCase(),
  path: route.path.replace('{id}', 'b'),
}));

describe('the HTTP app with a network key', () => {
  it('declares the node-to-node routes, and only those, as peer routes', () => {
    expect(PEER_ROUTES.map((r) => `${r.method} ${r.path}`).sort()).toEqual([
      'DELETE /nodes/b',
      'GET /files/catalog',
      'GET /nodes',
      'GET /nodes/b',
      'POST /msgs',
      'POST /probe',
      'PUT /msg',
      'PUT /nodes/b',
    ]);
  });

  it('answers any Meshchat-Network value on a node-to-node route with 401 network_key_required, never a 5xx', async () => {
    const { app } = await keyedApp();
    const proofLike = fc
      .tuple(
        fc.nat(),
        fc.base64String({ minLength: 20, maxLength: 24 }),
        fc.base64String({ minLength: 40, maxLength: 44 }),
      )
      .map(([time, nonce, mac]) => `v1.${time}.${nonce.replace(/=/g, '')}.${mac.replace(/=/g, '')}`);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...PEER_ROUTES),
        fc.oneof(fc.string({ maxLength: 200 }), proofLike),
        async ({ method, path }, header) => {
          const response = await app.request(path, {
            method,
            headers: { [NETWORK_PROOF_HEADER]: header.replace(/[\r\n\0]/g, ' ') },
          });
          expect(response.status).toBe(401);
          expect(await response.json()).toMatchObject({ error: { code: 'network_key_required' } });
        },
      ),
      { seed: FUZZ_SEED, numRuns: 300 },
    );
  });

  it("takes a member's call and proves the answer back; a user-facing route needs no proof", async () => {
    const { app, member } = await keyedApp();
    const proof = member.prove('GET', '/nodes?include=dead');
    const listed = await app.request('/nodes?include=dead', { headers: { [NETWORK_PROOF_HEADER]: proof } });
    expect(listed.status).toBe(200);
    const body = new Uint8Array(await listed.arrayBuffer());
    expect(member.checkAnswer(listed.headers.get(NETWORK_PROOF_HEADER), proof, 200, body)).toBe(true);
    const users = await app.request('/users');
    expect(users.status).toBe(200);
    expect(users.headers.get(NETWORK_PROOF_HEADER)).toBeNull();
  });

  it('runs a message batch directly only for a link that proved the key', async () => {
    const { app } = await keyedApp();
    const request = {
      method: 'PUT',
      path: '/msg',
      body: { from: 'b', to: 'a', msg: 'over a link' },
      bytes: 64,
      incoming: { socket: { remoteAddress: '127.0.0.1' }, headers: {} },
    };
    const stranger = await app.direct(request);
    expect(stranger?.status).toBe(401);
    expect(JSON.parse(stranger?.text ?? '{}')).toMatchObject({ error: { code: 'network_key_required' } });
    const member = await app.direct({
      ...request,
      incoming: { ...request.incoming, networkKeyProven: true },
    });
    expect(member?.status).toBe(200);
  });
});
