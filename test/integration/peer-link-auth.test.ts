// Peer links authenticated as a node (SPEC section 8, link-auth.ts) between real nodes on 127.0.0.1: keyed
// nodes a, b and c (each with a data dir, so a key). a's link to b is authenticated as a, so a's messages travel
// on it without a signature, and b neither signs nor checks one for them, yet shows them verified. A link
// opened with a's key (the test stands in for a's link client) carries a's unsigned message, but not c's, and
// a frame without its tag ends it; an opener with the wrong key gets an unauthenticated link, on which an
// unsigned message in a's name is refused. A LinkingPeerClient as a, on a link b authenticated, sends its message
// for b bare but signs one for c, which b relays only signed. Every wait polls a condition with a deadline.
import { mkdtempSync, rmSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import {
  Ed25519NodeSigner,
  Ed25519SignatureVerifier,
} from '../../src/adapters/crypto/ed25519-node-signer.js';
import { type FrameSealer, offerLinkAuth } from '../../src/adapters/peers/link-auth.js';
import { LinkingPeerClient } from '../../src/adapters/peers/linking-peer-client.js';
import type { NodeSigner } from '../../src/application/ports/node-signer.js';
import type { ChatMessage } from '../../src/domain/message.js';
import { canonicalMessage } from '../../src/domain/message-signature.js';
import type { MeshNode } from '../../src/mesh-node.js';
import { RecordingPushNotifier } from '../fakes/recording-push-notifier.js';
import { startTestNode, stopAll } from '../support/nodes.js';
import { LINK_DEADLINE_MS, metric, POLL_MS } from '../support/peer-links.js';
import { connectSocketIoUser } from '../support/users.js';

const DEADLINE = { timeout: LINK_DEADLINE_MS, interval: POLL_MS };
/** Binding every keyed node's key takes a gossip round or two after the joins; more on a loaded machine. */
const SETUP_DEADLINE = { timeout: 40_000, interval: 50 };

const nodes: MeshNode[] = [];
const dirs: Record<string, string> = {};
const closers: { close(): void }[] = [];
const seenByB = new RecordingPushNotifier();
let a: MeshNode;
let b: MeshNode;

beforeAll(async () => {
  for (const id of ['a', 'b', 'c']) dirs[id] = mkdtempSync(join(tmpdir(), `meshchat-linkauth-${id}-`));
  b = await startTestNode('b', { config: { dataDir: dirs.b }, push: [seenByB] });
  nodes.push(b);
  a = await startTestNode('a', { join: [b.url], config: { dataDir: dirs.a } });
  nodes.push(a);
  nodes.push(await startTestNode('c', { join: [b.url], config: { dataDir: dirs.c } }));
  // b has bound a's and c's keys, and a's link is authenticated.
  await vi.waitFor(async () => {
    const list = (await (await fetch(`${b.url}/nodes`)).json()) as { id: string; verified?: boolean }[];
    for (const id of ['a', 'c']) expect(list.find((n) => n.id === id)?.verified).toBe(true);
    expect(await metric(a.url, 'meshchat_peer_links_authenticated')).toBeGreaterThan(0);
  }, SETUP_DEADLINE);
  // The authenticated one may be a's link to c: a's link to b may have come up before b had bound a's key,
  // and be replaced only at its next try (2, 10 then 60 s on). Probe until a sends to b with no signature.
  const sender = await connectSocketIoUser(a.url);
  closers.push(sender);
  const sign = vi.spyOn(Ed25519NodeSigner.prototype, 'sign');
  let probe = 0;
  await vi.waitFor(
    async () => {
      sign.mockClear();
      const text = `probe-${probe++}`;
      expect((await sender.send('b', text))?.ok).toBe(true);
      await vi.waitFor(() => expect(seenByB.messages.some((m) => m.msg === text)).toBe(true), DEADLINE);
      expect(sign.mock.calls.filter(([payload]) => isMessagePayload(payload))).toEqual([]);
    },
    { timeout: 90_000, interval: 500 },
  );
  sign.mockRestore();
}, 120_000);

afterAll(async () => {
  vi.restoreAllMocks();
  for (const closer of closers.splice(0)) closer.close();
  await stopAll(nodes);
  for (const dir of Object.values(dirs)) rmSync(dir, { recursive: true, force: true });
});

/** Whether a signed payload is a message's or a batch's (not a node record's). */
function isMessagePayload(payload: string): boolean {
  return payload.startsWith('["meshchat-msg-') || payload.startsWith('["meshchat-batch-');
}

interface RawLink {
  readonly authenticated: boolean;
  /**
   * Sends a request frame, tagged when the link is authenticated: without its tag (`untagged`), or tagged and
   * then changed on the way (`altered`, as an attacker on the path would).
   */
  call(
    body: unknown,
    options?: { readonly untagged?: boolean; readonly altered?: boolean },
  ): Promise<{ status: number; body: string }>;
  readonly closed: Promise<number>;
}

/** A link to `node` opened as node `id` proving itself with `signer`, as a meshchat node's link client does. */
async function openLink(node: MeshNode, id: string, signer: NodeSigner): Promise<RawLink> {
  const offer = offerLinkAuth(id, signer);
  let sealer: FrameSealer | undefined;
  const ws = new WebSocket(`${node.url.replace(/^http/, 'ws')}/peer`, { headers: { ...offer.headers } });
  closers.push({ close: () => ws.terminate() });
  ws.once('upgrade', (response) => {
    sealer = offer.accept(response.headers as IncomingHttpHeaders);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  const answers = new Map<number, (answer: { status: number; body: string }) => void>();
  ws.on('message', (data) => {
    const answer = JSON.parse(String(data)) as { id: number; status: number; body: string };
    answers.get(answer.id)?.(answer);
  });
  let next = 0;
  return {
    authenticated: sealer !== undefined,
    closed,
    call(body, options = {}) {
      const id = ++next;
      const text = JSON.stringify({ id, method: 'PUT', path: '/msg', body });
      const answered = new Promise<{ status: number; body: string }>((resolve) => answers.set(id, resolve));
      const sealed = sealer && !options.untagged ? sealer.seal(text) : text;
      ws.send(options.altered ? sealed.replace('"msg":"', '"msg":"!') : sealed);
      return answered;
    },
  };
}

const unsigned = (from: string, msg: string) => ({
  id: `${from}-${msg}`,
  from,
  to: 'b',
  msg,
  ts: new Date().toISOString(),
});

describe('peer links authenticated as a node', () => {
  it("carries a's messages unsigned: neither a signs nor b checks them, and b shows them verified", async () => {
    const sign = vi.spyOn(Ed25519NodeSigner.prototype, 'sign');
    const verify = vi.spyOn(Ed25519SignatureVerifier.prototype, 'verify');
    const sender = await connectSocketIoUser(a.url);
    closers.push(sender);
    // One at a time (a `PUT /msg` per call), then all at once (`POST /msgs` batches).
    const texts = Array.from({ length: 60 }, (_, i) => `authed-${i}`);
    for (const text of texts.slice(0, 10)) expect((await sender.send('b', text))?.ok).toBe(true);
    const acks = await Promise.all(texts.slice(10).map((text) => sender.send('b', text)));
    for (const ack of acks) expect(ack?.ok).toBe(true);
    const mine = () => seenByB.messages.filter((m) => m.msg.startsWith('authed-'));
    await vi.waitFor(() => expect(mine()).toHaveLength(texts.length), DEADLINE);
    expect(mine().map((m) => m.msg)).toEqual(texts);
    expect(mine().every((m) => m.verified === true)).toBe(true);
    // Falsifiable: with the link unauthenticated, each call would be one signature on a and one check on b.
    expect(sign.mock.calls.filter(([payload]) => isMessagePayload(payload))).toEqual([]);
    expect(verify.mock.calls.filter(([, payload]) => isMessagePayload(payload))).toEqual([]);
    sign.mockRestore();
    verify.mockRestore();
  });

  it("a link proven with a's key carries a's unsigned message, not c's, and ends on an untagged frame", async () => {
    const link = await openLink(b, 'a', Ed25519NodeSigner.stored(dirs.a as string));
    expect(link.authenticated).toBe(true);
    const own = await link.call(unsigned('a', 'raw-own'));
    expect(own.status).toBe(200);
    await vi.waitFor(() => expect(seenByB.messages.some((m) => m.msg === 'raw-own')).toBe(true), DEADLINE);
    expect(seenByB.messages.find((m) => m.msg === 'raw-own')?.verified).toBe(true);
    // The link proves a, and only a: c's message needs c's own signature.
    const forged = await link.call(unsigned('c', 'raw-forged'));
    expect(forged.status).toBe(401);
    expect(JSON.parse(forged.body)).toMatchObject({ error: { code: 'bad_signature' } });
    // And only what a sends to b itself: a message b would relay to c goes on with a's own signature, so an
    // unsigned one is refused here rather than passed on; a signed one is relayed.
    const relay = await link.call({ ...unsigned('a', 'raw-relay'), to: 'c' });
    expect(relay.status).toBe(401);
    expect(JSON.parse(relay.body)).toMatchObject({ error: { code: 'bad_signature' } });
    const signedRelay = { ...unsigned('a', 'raw-relay-signed'), to: 'c' };
    const sig = Ed25519NodeSigner.stored(dirs.a as string).sign(canonicalMessage(signedRelay));
    const relayed = await link.call({ ...signedRelay, sig });
    expect(relayed.status).toBe(200);
    expect(JSON.parse(relayed.body)).toMatchObject({ status: 'relayed' });
    // A frame changed on the way closes the link; neither it nor any frame after it runs, even one whose tag
    // is right (sent at once behind it, before the close reaches this end).
    void link.call(unsigned('a', 'raw-altered'), { altered: true });
    void link.call(unsigned('a', 'raw-after'));
    expect(await link.closed).toBe(1008);
    const ran = (text: string) => seenByB.messages.some((m) => m.msg.endsWith(text));
    expect(['raw-altered', 'raw-after', 'raw-forged'].filter(ran)).toEqual([]);
    // And a frame without a tag at all, on a second link.
    const again = await openLink(b, 'a', Ed25519NodeSigner.stored(dirs.a as string));
    void again.call(unsigned('a', 'raw-injected'), { untagged: true });
    expect(await again.closed).toBe(1008);
    expect(ran('raw-injected')).toBe(false);
  });

  it("an opener with the wrong key gets an unauthenticated link: an unsigned message in a's name is refused", async () => {
    const link = await openLink(b, 'a', Ed25519NodeSigner.generate());
    expect(link.authenticated).toBe(false);
    const refused = await link.call(unsigned('a', 'raw-impostor'));
    expect(refused.status).toBe(401);
    expect(JSON.parse(refused.body)).toMatchObject({ error: { code: 'bad_signature' } });
    expect(seenByB.messages.some((m) => m.msg === 'raw-impostor')).toBe(false);
  });

  it("a's link client signs what b would relay, even on a link b authenticated as a", async () => {
    // A link client as node a's own (its id and stored key), opened to b after b's offer in its list.
    const signer = Ed25519NodeSigner.stored(dirs.a as string);
    const client = new LinkingPeerClient({ timeoutMs: 5_000, identity: { id: 'a', signer } });
    closers.push({ close: () => void client.close() });
    await client.listNodes(b.url);
    await vi.waitFor(() => expect(client.stats.authenticated).toBe(1), DEADLINE);
    const before = client.stats.calls.link;
    const message = (to: string, msg: string): ChatMessage => ({
      id: `client-${msg}`,
      from: 'a',
      to,
      msg,
      ts: new Date().toISOString(),
    });
    const sign = (m: ChatMessage) => ({ ...m, sig: signer.sign(canonicalMessage(m)) });
    // For b itself: it goes bare (b's answer is 200 either way); for c: b relays it, which it does only with a's
    // own signature (an unsigned one is 401 bad_signature, as the raw link above shows). A batch needs no such
    // case: a node batches only to a message's destination, and a batch proof never covers a relay (api.md).
    const own = message('b', 'client-own');
    const signOwn = vi.fn(() => sign(own));
    await client.sendMessage(b.url, own, { signed: signOwn });
    expect(signOwn).not.toHaveBeenCalled();
    const relayed = message('c', 'client-relay');
    const signRelayed = vi.fn(() => sign(relayed));
    await expect(client.sendMessage(b.url, relayed, { signed: signRelayed })).resolves.toBeUndefined();
    expect(signRelayed).toHaveBeenCalledTimes(1);
    // All of it rode the authenticated link, and b's users got what was for b, verified.
    expect(client.stats.calls.link - before).toBe(2);
    await vi.waitFor(
      () => expect(seenByB.messages.find((m) => m.msg === 'client-own')?.verified).toBe(true),
      DEADLINE,
    );
    await client.close();
  });
});
