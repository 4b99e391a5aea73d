// Signed messages (issue 15 item 3) between real nodes on 127.0.0.1: keyed nodes a, b and c (each with a data
// dir, so a key) and an unkeyed node p. A stranger's message claiming a keyed node's id (or a user of it) is
// refused with 401 bad_signature and never reaches a user; a signed message keeps its signature through a relay
// and arrives verified; an unkeyed node's message is delivered as before, unverified. Every wait polls a
// condition with a deadline.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Ed25519NodeSigner } from '../../src/adapters/crypto/ed25519-node-signer.js';
import { canonicalBatch, canonicalMessage } from '../../src/domain/message-signature.js';
import type { MeshNode } from '../../src/mesh-node.js';
import { registerAndLogin } from '../support/accounts-http.js';
import { startTestNode, stopAll } from '../support/nodes.js';
import { connectSocketIoUser, connectWsUser, type SocketIoTestUser } from '../support/users.js';

const DEADLINE = { timeout: 10_000, interval: 25 };
/** Binding every keyed node's key takes a gossip round or two after the joins; more on a loaded machine. */
const SETUP_DEADLINE = { timeout: 40_000, interval: 50 };
const PASSWORD = 'correct horse battery';
type Shown = { id: string; from: string; msg: string; verified?: boolean; fromUser?: string; sig?: string };
type Entry = { id: string; verified?: boolean };

const nodes: MeshNode[] = [];
const dirs: Record<string, string> = {};
const closers: { close(): void }[] = [];
let a: MeshNode;
let b: MeshNode;
let c: MeshNode;
let p: MeshNode;

const call = async (url: string, method: string, body: unknown) => {
  const response = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};
const listOf = async (on: MeshNode) => (await (await fetch(`${on.url}/nodes`)).json()) as Entry[];
const shownOn = (user: SocketIoTestUser) => user.messages as unknown as Shown[];
const socketUser = async (url: string, token?: string) => {
  const user = await connectSocketIoUser(url, token === undefined ? {} : { auth: { token } });
  closers.push(user);
  return user;
};
/** A message as `a` signs it, with `a`'s key read from its data dir (the test stands in for a's outbox). */
const signedByA = (fields: { id: string; to: string; msg: string; fromUser?: string }) => {
  const message = { ...fields, from: 'a', ts: new Date().toISOString() };
  const sig = Ed25519NodeSigner.stored(dirs.a as string).sign(canonicalMessage(message));
  return { ...message, sig };
};

beforeAll(async () => {
  for (const id of ['a', 'b', 'c']) dirs[id] = mkdtempSync(join(tmpdir(), `meshchat-sigmsg-${id}-`));
  a = await startTestNode('a', { config: { dataDir: dirs.a } });
  nodes.push(a);
  b = await startTestNode('b', { join: [a.url], config: { dataDir: dirs.b } });
  nodes.push(b);
  c = await startTestNode('c', { join: [a.url], config: { dataDir: dirs.c } });
  nodes.push(c);
  p = await startTestNode('p', { join: [a.url] });
  nodes.push(p);
  // Every keyed node has bound every other keyed node's key; p is listed, unverified.
  await vi.waitFor(async () => {
    for (const on of [a, b, c]) {
      const list = await listOf(on);
      for (const id of ['a', 'b', 'c']) expect(list.find((n) => n.id === id)?.verified).toBe(true);
      expect(list.find((n) => n.id === 'p')?.verified).toBe(false);
    }
  }, SETUP_DEADLINE);
}, 60_000);

afterAll(async () => {
  for (const closer of closers.splice(0)) closer.close();
  await stopAll(nodes);
  for (const dir of Object.values(dirs)) rmSync(dir, { recursive: true, force: true });
});

describe('signed messages between real nodes', () => {
  it("refuses a stranger's message in b's name, unsigned or badly signed; shows b's own verified", async () => {
    const onA = await socketUser(a.url);
    const forged = { id: 'forged-1', from: 'b', to: 'a', msg: 'pay eve', ts: new Date().toISOString() };
    const unsigned = await call(`${a.url}/msg`, 'PUT', forged);
    expect(unsigned.status).toBe(401);
    expect(unsigned.body).toMatchObject({ error: { code: 'bad_signature' } });
    const stranger = Ed25519NodeSigner.generate();
    const badlySigned = { ...forged, id: 'forged-2', sig: stranger.sign(canonicalMessage(forged)) };
    expect((await call(`${a.url}/msg`, 'PUT', badlySigned)).status).toBe(401);
    // In a batch, the forged message gets its own refusal; the others go through.
    const batch = await call(`${a.url}/msgs`, 'POST', {
      messages: [
        { ...forged, id: 'forged-3' },
        { id: 'plain-1', from: 'zz', to: 'a', msg: 'from nobody keyed' },
      ],
    });
    expect(batch.status).toBe(200);
    expect(batch.body.results).toEqual([
      expect.objectContaining({
        ok: false,
        httpStatus: 401,
        error: expect.objectContaining({ code: 'bad_signature' }),
      }),
      expect.objectContaining({ ok: true, status: 'delivered', id: 'plain-1' }),
    ]);

    // b's own user speaks to a: signed by b, shown verified.
    const onB = await socketUser(b.url);
    expect(await onB.send('a', 'really b')).toMatchObject({ ok: true });
    await vi.waitFor(() => expect(shownOn(onA).some((m) => m.msg === 'really b')).toBe(true), DEADLINE);
    const shown = shownOn(onA);
    expect(shown.find((m) => m.msg === 'really b')).toMatchObject({ from: 'b', verified: true });
    expect(shown.find((m) => m.id === 'plain-1')?.verified).toBeUndefined();
    expect(shown.some((m) => m.id.startsWith('forged'))).toBe(false);
    expect(shown.some((m) => 'sig' in m)).toBe(false);

    // History says the same to a user who connects later, on /ws too.
    const later = await connectWsUser(a.url);
    closers.push(later);
    await vi.waitFor(() => expect(later.frames.some((f) => f.type === 'history')).toBe(true), DEADLINE);
    const history = later.frames.find((f) => f.type === 'history')?.messages as Shown[];
    expect(history.find((m) => m.msg === 'really b')).toMatchObject({ verified: true });
    expect(history.some((m) => m.id.startsWith('forged'))).toBe(false);
  });

  it("keeps a's signature through a relay (a to c through b) and c shows it verified", async () => {
    const onC = await socketUser(c.url);
    const relayed = signedByA({ id: 'relay-1', to: 'c', msg: 'through b' });
    const answer = await call(`${b.url}/msg`, 'PUT', relayed);
    expect(answer).toMatchObject({ status: 200, body: { status: 'relayed' } });
    // A relay that changed the text is refused by the next node, and by the relay itself.
    const tampered = { ...relayed, id: 'relay-2', msg: 'through b, changed' };
    expect((await call(`${b.url}/msg`, 'PUT', tampered)).status).toBe(401);
    expect((await call(`${c.url}/msg`, 'PUT', { ...tampered, hops: 1 })).status).toBe(401);

    await vi.waitFor(() => expect(shownOn(onC).some((m) => m.id === 'relay-1')).toBe(true), DEADLINE);
    expect(shownOn(onC).find((m) => m.id === 'relay-1')).toMatchObject({ from: 'a', verified: true });
    expect(shownOn(onC).some((m) => m.id === 'relay-2')).toBe(false);
  });

  it("takes a POST /msgs batch on a's one batch signature, and ignores a proof by another key", async () => {
    const onB = await socketUser(b.url);
    const aKey = Ed25519NodeSigner.stored(dirs.a as string);
    const ts = new Date().toISOString();
    const batch = [1, 2, 3].map((i) => ({ id: `batch-${i}`, from: 'a', to: 'b', msg: `batched ${i}`, ts }));
    const stranger = Ed25519NodeSigner.generate();
    const forged = await call(`${b.url}/msgs`, 'POST', {
      messages: batch,
      signer: 'a',
      sig: stranger.sign(canonicalBatch('a', batch)),
    });
    expect((forged.body.results as { ok: boolean }[]).map((r) => r.ok)).toEqual([false, false, false]);
    const proven = await call(`${b.url}/msgs`, 'POST', {
      messages: batch,
      signer: 'a',
      sig: aKey.sign(canonicalBatch('a', batch)),
    });
    expect(proven.body.results).toEqual(batch.map(({ id }) => ({ ok: true, status: 'delivered', id })));
    await vi.waitFor(
      () => expect(shownOn(onB).filter((m) => m.id.startsWith('batch-'))).toHaveLength(3),
      DEADLINE,
    );
    expect(
      shownOn(onB)
        .filter((m) => m.id.startsWith('batch-'))
        .every((m) => m.verified === true),
    ).toBe(true);
  });

  it("delivers an unkeyed node's message as before, unverified; nodes events say who is verified", async () => {
    const onA = await socketUser(a.url);
    const onP = await socketUser(p.url);
    expect(await onP.send('a', 'from the plain side')).toMatchObject({ ok: true });
    await vi.waitFor(
      () => expect(shownOn(onA).some((m) => m.msg === 'from the plain side')).toBe(true),
      DEADLINE,
    );
    const shown = shownOn(onA).find((m) => m.msg === 'from the plain side');
    expect(shown).toMatchObject({ from: 'p' });
    expect(shown?.verified).toBeUndefined();
    const nodesEvent = onA.nodeLists.at(-1) as unknown as Entry[];
    expect(nodesEvent.find((n) => n.id === 'b')?.verified).toBe(true);
    expect(nodesEvent.find((n) => n.id === 'p')?.verified).toBe(false);
  });

  it("refuses a direct message that forges a user of a; alice's real one reaches bob verified", async () => {
    const alice = await registerAndLogin(a.url, 'alice', PASSWORD);
    const bob = await registerAndLogin(b.url, 'bob', PASSWORD);
    const onB = await socketUser(b.url, bob.token);
    const forged = {
      id: 'forged-dm',
      from: 'a',
      fromUser: 'alice@a',
      to: 'bob@b',
      msg: 'send me your password',
      ts: new Date().toISOString(),
    };
    const refused = await call(`${b.url}/msg`, 'PUT', forged);
    expect(refused).toMatchObject({ status: 401, body: { error: { code: 'bad_signature' } } });

    const onA = await socketUser(a.url, alice.token);
    expect(await onA.send('bob@b', 'hi bob')).toMatchObject({ ok: true });
    await vi.waitFor(() => expect(shownOn(onB).some((m) => m.msg === 'hi bob')).toBe(true), DEADLINE);
    expect(shownOn(onB).find((m) => m.msg === 'hi bob')).toMatchObject({
      from: 'a',
      fromUser: 'alice@a',
      verified: true,
    });
    expect(shownOn(onB).some((m) => m.id === 'forged-dm')).toBe(false);
  });
});
