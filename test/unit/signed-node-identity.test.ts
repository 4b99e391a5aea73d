import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Ed25519NodeSigner,
  Ed25519SignatureVerifier,
  NODE_KEY_FILE,
} from '../../src/adapters/crypto/ed25519-node-signer.js';
import { AnnounceNode } from '../../src/application/membership/announce-node.js';
import { MembershipProtocol } from '../../src/application/membership/membership-protocol.js';
import { NodeKeys } from '../../src/application/membership/node-keys.js';
import { RemoveNode } from '../../src/application/membership/remove-node.js';
import { canonicalNodeRecord } from '../../src/domain/node-signature.js';
import { InMemoryNetwork } from '../fakes/in-memory-network.js';
import { memoryHttpApp } from '../support/http-app.js';

const verifier = new Ed25519SignatureVerifier();
const BOB_URL = 'http://bob.example:4000';
const ATTACKER_URL = 'http://attacker.example:6666';
const json = (body: unknown, method = 'PUT') => ({
  method,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

/** Node `a` of the HTTP fixture with a key, checking records; `bob` announced himself, signed, once. */
async function keyedFixture() {
  const fx = await memoryHttpApp();
  const { registry } = fx.a;
  const keys = new NodeKeys({
    self: 'a',
    signer: Ed25519NodeSigner.generate(),
    verifier,
    clock: fx.clock,
    audit: fx.audit,
  });
  const announce = new AnnounceNode({
    registry,
    clock: fx.clock,
    membership: { claim: async () => {} },
    keys,
  });
  // Bob answers every probe: a death notice about him is refused, so only his own leave can remove him.
  const membership = { refute: () => {}, answers: async () => true };
  const remove = new RemoveNode({ registry, clock: fx.clock, membership, keys });
  const app = fx.build(undefined, {}, { announce, remove, keys });
  const bob = Ed25519NodeSigner.generate();
  const stranger = Ed25519NodeSigner.generate();
  const sign = <R extends { url: string; incarnation?: number }>(
    signer: Ed25519NodeSigner,
    purpose: 'announce' | 'leave',
    record: R,
  ) => {
    const full = { id: 'bob', ...record };
    const signedAt = fx.clock.now();
    const sig = signer.sign(canonicalNodeRecord(purpose, full, signedAt));
    return { ...record, key: signer.publicKey, sig, signedAt };
  };
  const first = await app.request(
    '/nodes/bob',
    json(sign(bob, 'announce', { url: BOB_URL, incarnation: 10 })),
  );
  expect(first.status).toBe(200);
  return { ...fx, app, keys, bob, stranger, sign, registry };
}

describe('signed node identity (issue 15, item 2)', () => {
  it('binds bob to his first key and lists him as verified, a plain node as unverified', async () => {
    const { app, keys } = await keyedFixture();
    expect(keys.isKeyed('bob')).toBe(true);
    const list = (await (await app.request('/nodes')).json()) as Record<string, unknown>[];
    expect(list.find((n) => n.id === 'bob')).toMatchObject({ url: BOB_URL, verified: true });
    expect(list.find((n) => n.id === 'b')).toMatchObject({ verified: false });
    const self = list.find((n) => n.id === 'a') as {
      key: string;
      sig: string;
      signedAt: number;
      url: string;
    };
    expect(self.key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const payload = canonicalNodeRecord(
      'announce',
      { id: 'a', url: self.url, incarnation: 1 },
      self.signedAt,
    );
    expect(verifier.verify(self.key, payload, self.sig)).toBe(true);
  });

  it("refuses a stranger's PUT that moves bob with incarnation + 1 or a time a day ahead", async () => {
    const { app, registry, stranger, bob, sign, clock, audit } = await keyedFixture();
    const unsigned = await app.request('/nodes/bob', json({ url: ATTACKER_URL, incarnation: 11 }));
    expect(unsigned.status).toBe(401);
    expect(((await unsigned.json()) as { error: { code: string } }).error.code).toBe('bad_signature');
    const ahead = clock.now() + 23 * 3_600_000;
    const rekeyed = await app.request(
      '/nodes/bob',
      json(sign(stranger, 'announce', { url: ATTACKER_URL, incarnation: ahead })),
    );
    expect(rekeyed.status).toBe(409);
    expect(((await rekeyed.json()) as { error: { code: string } }).error.code).toBe('key_mismatch');
    const forged = { ...sign(stranger, 'announce', { url: ATTACKER_URL, incarnation: 11 }) };
    const badSig = await app.request('/nodes/bob', json({ ...forged, key: bob.publicKey }));
    expect(badSig.status).toBe(401);
    expect(registry.get('bob')).toMatchObject({ url: BOB_URL, incarnation: 10 });
    const refusals = audit.records.filter((r) => r.op === 'node_record').map((r) => r.outcome);
    expect(refusals).toEqual(['bad_signature', 'key_mismatch', 'bad_signature']);
  });

  it('refuses a replayed signature older than the skew bound', async () => {
    const { app, registry, bob, sign, clock } = await keyedFixture();
    const old = sign(bob, 'announce', { url: ATTACKER_URL, incarnation: 11 });
    await clock.advance(6 * 60_000);
    const replay = await app.request('/nodes/bob', json(old));
    expect(replay.status).toBe(401);
    expect(registry.get('bob')?.url).toBe(BOB_URL);
  });

  it("refuses a stranger's DELETE with bob's url, and takes bob's own signed leave", async () => {
    const { app, registry, stranger, bob, sign } = await keyedFixture();
    const plain = await app.request('/nodes/bob', json({ url: BOB_URL }, 'DELETE'));
    expect(plain.status).toBe(401);
    const dead = await app.request('/nodes/bob', json({ url: BOB_URL, reason: 'dead' }, 'DELETE'));
    expect(((await dead.json()) as { error: { code: string } }).error.code).toBe('node_alive');
    const forged = await app.request(
      '/nodes/bob',
      json(sign(stranger, 'leave', { url: BOB_URL, incarnation: 10 }), 'DELETE'),
    );
    expect(forged.status).toBe(409);
    // A signed announce is not a leave: the purpose is part of what is signed.
    const wrongPurpose = await app.request(
      '/nodes/bob',
      json(sign(bob, 'announce', { url: BOB_URL, incarnation: 10 }), 'DELETE'),
    );
    expect(wrongPurpose.status).toBe(401);
    expect(registry.get('bob')?.url).toBe(BOB_URL);
    const own = await app.request(
      '/nodes/bob',
      json(sign(bob, 'leave', { url: BOB_URL, incarnation: 10 }), 'DELETE'),
    );
    expect(own.status).toBe(200);
    expect(registry.get('bob')).toBeUndefined();
  });

  it("refuses bob's old signed leave replayed after he rejoined with a newer incarnation", async () => {
    const { app, registry, bob, sign, clock } = await keyedFixture();
    const leave = sign(bob, 'leave', { url: BOB_URL, incarnation: 10 });
    expect((await app.request('/nodes/bob', json(leave, 'DELETE'))).status).toBe(200);
    expect(registry.get('bob')).toBeUndefined();
    // Bob restarts at the same url a minute later: a newer incarnation, still inside the signature window.
    await clock.advance(60_000);
    const back = await app.request(
      '/nodes/bob',
      json(sign(bob, 'announce', { url: BOB_URL, incarnation: 11 })),
    );
    expect(back.status).toBe(200);
    const replay = await app.request('/nodes/bob', json(leave, 'DELETE'));
    expect(replay.status).toBe(409);
    expect(((await replay.json()) as { error: { code: string } }).error.code).toBe('stale_record');
    expect(registry.get('bob')).toMatchObject({ url: BOB_URL, incarnation: 11, state: 'alive' });
    // His current leave still works.
    const current = await app.request(
      '/nodes/bob',
      json(sign(bob, 'leave', { url: BOB_URL, incarnation: 11 }), 'DELETE'),
    );
    expect(current.status).toBe(200);
    expect(registry.get('bob')).toBeUndefined();
  });

  it('lets bob restart with the same key, a new incarnation and a new url', async () => {
    const { app, registry, bob, sign } = await keyedFixture();
    const moved = await app.request(
      '/nodes/bob',
      json(sign(bob, 'announce', { url: ATTACKER_URL, incarnation: 12 })),
    );
    expect(moved.status).toBe(200);
    expect(registry.get('bob')).toMatchObject({ url: ATTACKER_URL, incarnation: 12 });
  });

  it('keeps the base rules for a plain node that never showed a key', async () => {
    const { app, registry } = await keyedFixture();
    expect((await app.request('/nodes/plain', json({ url: 'http://plain.example:1' }))).status).toBe(200);
    expect(
      (await app.request('/nodes/plain', json({ url: 'http://plain.example:1' }, 'DELETE'))).status,
    ).toBe(200);
    expect(registry.get('plain')).toBeUndefined();
  });

  it('drops gossip that carries a forged or unsigned change of a keyed node', async () => {
    const { registry, keys, stranger, bob, sign, clock } = await keyedFixture();
    const membership = new MembershipProtocol({
      registry,
      peers: new InMemoryNetwork().client('x'),
      clock,
      keys,
    });
    membership.antiEntropy.merge([
      { id: 'bob', url: ATTACKER_URL, incarnation: 99 },
      { id: 'bob', ...sign(stranger, 'announce', { url: ATTACKER_URL, incarnation: 98 }) },
    ]);
    expect(registry.get('bob')).toMatchObject({ url: BOB_URL, incarnation: 10 });
    membership.antiEntropy.merge([
      { id: 'bob', ...sign(bob, 'announce', { url: BOB_URL, incarnation: 13 }) },
    ]);
    expect(registry.get('bob')).toMatchObject({ url: BOB_URL, incarnation: 13 });
    // Gossip that says this node itself is down still makes it refute (its own id is bound to its own key).
    const { url, incarnation } = registry.self;
    membership.antiEntropy.merge([{ id: 'a', url, incarnation: incarnation + 5, state: 'suspect' }]);
    expect(registry.self.incarnation).toBeGreaterThan(incarnation + 5);
    membership.stop();
  });
});

describe('the node key file', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('is created with mode 0600 on first start and gives the same key after a restart', () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshchat-key-'));
    dirs.push(dir);
    const first = Ed25519NodeSigner.stored(dir);
    expect(statSync(join(dir, NODE_KEY_FILE)).mode & 0o777).toBe(0o600);
    const again = Ed25519NodeSigner.stored(dir);
    expect(again.publicKey).toBe(first.publicKey);
    expect(verifier.verify(first.publicKey, 'x', again.sign('x'))).toBe(true);
    expect(verifier.verify(first.publicKey, 'y', again.sign('x'))).toBe(false);
    expect(verifier.verify('not-a-key', 'x', again.sign('x'))).toBe(false);
  });
});
