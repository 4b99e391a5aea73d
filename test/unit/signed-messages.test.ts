import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Ed25519NodeSigner,
  Ed25519SignatureVerifier,
} from '../../src/adapters/crypto/ed25519-node-signer.js';
import { MemoryMessageStore } from '../../src/adapters/storage/memory-message-store.js';
import { MessageSignatures } from '../../src/application/messaging/message-signatures.js';
import type { PeerClient } from '../../src/application/ports/peer-client.js';
import type { FileReference } from '../../src/domain/file-reference.js';
import type { ChatMessage, InboundMessage } from '../../src/domain/message.js';
import {
  canonicalBatch,
  canonicalMessage,
  type SignedFields,
  shownToUsers,
} from '../../src/domain/message-signature.js';
import { nodeRecord } from '../../src/domain/node-record.js';
import { BadSignature } from '../../src/domain/node-signature.js';
import { PeerRegistry } from '../../src/domain/peer-registry.js';
import { wireMessaging } from '../../src/wiring/wire-messaging.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { InMemoryInbox } from '../fakes/in-memory-inbox.js';
import { createMemoryNode, InMemoryNetwork } from '../fakes/in-memory-network.js';
import { RecordingAuditTrail } from '../fakes/recording-audit-trail.js';
import { RecordingPushNotifier, SequentialIds } from '../fakes/recording-push-notifier.js';

const verifier = new Ed25519SignatureVerifier();
const BASE: ChatMessage = {
  id: 'm-1',
  from: 'b',
  to: 'a',
  msg: 'hello\nworld',
  ts: '2026-01-01T00:00:00.000Z',
};
const FILE: FileReference = { id: 'ab'.repeat(32), name: 'notes.txt', size: 1536 };

describe('the canonical bytes of a message', () => {
  it('do not depend on key order, and leave out hops, sig and verified', () => {
    const reordered = { ts: BASE.ts, msg: BASE.msg, to: BASE.to, from: BASE.from, id: BASE.id };
    expect(canonicalMessage(reordered)).toBe(canonicalMessage(BASE));
    const annotated = { ...BASE, hops: 2, sig: 'x', verified: true } as ChatMessage;
    expect(canonicalMessage(annotated)).toBe(canonicalMessage(BASE));
    expect(canonicalMessage(BASE)).toBe(
      '["meshchat-msg-v2","m-1","b","a","2026-01-01T00:00:00.000Z",null,null,"hello\\nworld",null]',
    );
    expect(canonicalMessage({ ...BASE, file: FILE })).toBe(
      `["meshchat-msg-v2","m-1","b","a","2026-01-01T00:00:00.000Z",null,null,"hello\\nworld",["${FILE.id}","notes.txt",1536]]`,
    );
    // Keys inside the reference other than id, name and size are not kept, so they are not signed either.
    const extra = { ...FILE, note: 'x' } as FileReference;
    expect(canonicalMessage({ ...BASE, file: extra })).toBe(canonicalMessage({ ...BASE, file: FILE }));
  });

  it('of a batch are the signer and each message text, in order, so no batch passes for another', () => {
    const second = { ...BASE, id: 'm-2' };
    expect(canonicalBatch('b', [BASE, second])).toBe(
      JSON.stringify(['meshchat-batch-v1', 'b', canonicalMessage(BASE), canonicalMessage(second)]),
    );
    expect(canonicalBatch('b', [second, BASE])).not.toBe(canonicalBatch('b', [BASE, second]));
    expect(canonicalBatch('c', [BASE])).not.toBe(canonicalBatch('b', [BASE]));
    expect(canonicalBatch('b', [BASE])).not.toBe(canonicalMessage(BASE));
  });

  it('differ for any two messages that differ in a signed field', () => {
    const text = fc.string({ maxLength: 12 });
    const file = fc.record({ id: text, name: text, size: fc.nat() });
    const fields = fc.record(
      { id: text, from: text, to: text, msg: text, ts: text, user: text, fromUser: text, file },
      { requiredKeys: ['id', 'from', 'to', 'msg', 'ts'] },
    );
    const signed = (m: SignedFields) =>
      JSON.stringify([
        m.id,
        m.from,
        m.to,
        m.msg,
        m.ts,
        m.user ?? null,
        m.fromUser ?? null,
        m.file ? [m.file.id, m.file.name, m.file.size] : null,
      ]);
    fc.assert(
      fc.property(fields, fields, (x, y) => {
        fc.pre(signed(x) !== signed(y));
        expect(canonicalMessage(x)).not.toBe(canonicalMessage(y));
      }),
      { numRuns: 500 },
    );
    // Boundaries that a naive joined encoding would confuse.
    expect(canonicalMessage({ ...BASE, user: '' })).not.toBe(canonicalMessage(BASE));
    expect(canonicalMessage({ ...BASE, from: 'b\na', to: '' })).not.toBe(
      canonicalMessage({ ...BASE, from: 'b', to: 'a\n' }),
    );
  });
});

describe('signing and checking messages', () => {
  const b = Ed25519NodeSigner.generate();
  const stranger = Ed25519NodeSigner.generate();
  const setup = () => {
    const audit = new RecordingAuditTrail();
    const clock = new FakeClock();
    const keys = new Map([['b', b.publicKey]]);
    const check = new MessageSignatures({ self: 'a', verifier, keyOf: (id) => keys.get(id), clock, audit });
    const bSide = new MessageSignatures({ self: 'b', signer: b, verifier, keyOf: () => undefined, clock });
    return { audit, check, bSide };
  };

  it("accepts b's sealed message, relayed with more hops, and refuses it with any signed field changed", () => {
    const { check, bSide } = setup();
    const sealed = bSide.seal({ ...BASE, user: 'Bo', fromUser: 'bo@b', file: FILE });
    expect(sealed.sig).toMatch(/^[A-Za-z0-9_-]{86}$/);
    expect(check.check({ ...sealed, hops: 2 })).toBe(true);
    const changes: Partial<ChatMessage>[] = [
      { id: 'm-2' },
      { to: 'c' },
      { msg: 'hello world' },
      { ts: '2026-01-01T00:00:01.000Z' },
      { user: 'Bob' },
      { fromUser: 'eve@b' },
      { file: undefined },
      { file: { ...FILE, id: 'cd'.repeat(32) } },
      { file: { ...FILE, name: 'notes.exe' } },
      { file: { ...FILE, size: 1537 } },
    ];
    for (const change of changes) {
      expect(() => check.check({ ...sealed, ...change }), JSON.stringify(change)).toThrow(BadSignature);
    }
  });

  it('refuses a bound id without a signature or signed by another key, audited; takes an unbound id unverified', () => {
    const { audit, check } = setup();
    expect(() => check.check(BASE)).toThrow(/signs its messages/);
    const forged = { ...BASE, sig: stranger.sign(canonicalMessage(BASE)) };
    expect(() => check.check(forged)).toThrow(/does not verify/);
    expect(audit.records.map((r) => `${r.op}:${r.object}:${r.outcome}`)).toEqual([
      'message:message m-1 from b:bad_signature',
      'message:message m-1 from b:bad_signature',
    ]);
    const fromC = { ...BASE, from: 'c', sig: stranger.sign(canonicalMessage({ ...BASE, from: 'c' })) };
    expect(check.check(fromC)).toBe(false);
    expect(check.check({ ...BASE, from: 'c' })).toBe(false);
    expect(audit.records).toHaveLength(2);
  });

  it('shows users no signature and no relay count, and verified only when it is', () => {
    const shown = shownToUsers({ ...BASE, sig: 'x', hops: 1, verified: true }, false);
    expect(shown).toEqual(BASE);
    expect(shownToUsers({ ...BASE, sig: 'x' }, true)).toEqual({ ...BASE, verified: true });
  });
});

/** Node `a` (keyed) receiving from peers: `b` is bound to its key, `c` is a plain node. */
function receivingNode() {
  const a = Ed25519NodeSigner.generate();
  const b = Ed25519NodeSigner.generate();
  const clock = new FakeClock();
  const audit = new RecordingAuditTrail();
  const registry = new PeerRegistry(nodeRecord('a', 'http://a.example'));
  const push = new RecordingPushNotifier();
  const store = new MemoryMessageStore();
  const keys = new Map([
    ['a', a.publicKey],
    ['b', b.publicKey],
  ]);
  const counting = {
    calls: 0,
    verify(key: string, payload: string, sig: string) {
      counting.calls++;
      return verifier.verify(key, payload, sig);
    },
  };
  const signatures = new MessageSignatures({
    self: 'a',
    signer: a,
    verifier: counting,
    keyOf: (id) => keys.get(id),
    clock,
    audit,
  });
  const wiring = wireMessaging(
    {
      registry,
      peers: {} as PeerClient,
      clock,
      ids: new SequentialIds(),
      store,
      push,
      inbox: new InMemoryInbox(),
      recipients: { exists: (name) => name === 'alice', isOnline: () => true },
      signatures,
    },
    {},
  );
  const bSigns = (m: ChatMessage): InboundMessage => ({ ...m, sig: b.sign(canonicalMessage(m)) });
  return { ...wiring, push, store, audit, a, b, bSigns, counting, signatures };
}

describe('a keyed node receiving messages', () => {
  it("refuses b's id without b's signature, stores and shows nothing; shows b's signed one verified", async () => {
    const node = receivingNode();
    await expect(node.receive.execute({ ...BASE })).rejects.toThrow(BadSignature);
    const forged = { ...BASE, sig: node.a.sign(canonicalMessage(BASE)) };
    await expect(node.receive.execute(forged)).rejects.toMatchObject({ code: 'bad_signature' });
    expect(node.push.messages).toEqual([]);
    expect(node.store.history()).toEqual([]);
    expect(node.store.seen(BASE.id)).toBe(false);

    expect(await node.receive.execute(node.bSigns(BASE))).toMatchObject({ status: 'delivered' });
    expect(node.push.messages).toEqual([expect.objectContaining({ ...BASE, verified: true })]);
    expect(node.push.messages[0]).not.toHaveProperty('sig');
    expect(node.store.history()[0]).toMatchObject({ verified: true });
  });

  it("refuses b's signed message with its file reference changed, added or removed: bad_signature", async () => {
    const node = receivingNode();
    const withFile = node.bSigns({ ...BASE, file: FILE });
    const tampered: InboundMessage[] = [
      { ...withFile, file: { ...FILE, id: 'cd'.repeat(32) } },
      { ...withFile, file: { ...FILE, name: 'invoice.pdf' } },
      { ...withFile, file: { ...FILE, size: 1 } },
      { ...withFile, file: null },
      { ...node.bSigns({ ...BASE, id: 'm-2' }), file: FILE },
    ];
    for (const message of tampered) {
      await expect(node.receive.execute(message), JSON.stringify(message.file)).rejects.toMatchObject({
        code: 'bad_signature',
      });
    }
    expect(node.push.messages).toEqual([]);
    expect(node.store.history()).toEqual([]);
    expect(await node.receive.execute(withFile)).toMatchObject({ status: 'delivered' });
    expect(node.push.messages).toEqual([expect.objectContaining({ file: FILE, verified: true })]);
  });

  it('refuses each forged message of a batch on its own and takes the others', async () => {
    const node = receivingNode();
    const good = node.bSigns({ ...BASE, id: 'm-2' });
    const batch: InboundMessage[] = [{ ...BASE }, good, { ...BASE, id: 'm-3', from: 'c' }];
    const outcomes = await node.receiveMany.execute(batch);
    expect(outcomes.map((o) => (o.ok ? o.status : o.error.code))).toEqual([
      'bad_signature',
      'delivered',
      'delivered',
    ]);
    expect(node.push.messages.map((m) => [m.id, m.verified ?? false])).toEqual([
      ['m-2', true],
      ['m-3', false],
    ]);
  });

  it("refuses a direct message that claims b's user without b's signature", async () => {
    const node = receivingNode();
    const dm = { ...BASE, to: 'alice@a', fromUser: 'bob@b' };
    await expect(node.receive.execute(dm)).rejects.toThrow(BadSignature);
    expect(node.push.messages).toEqual([]);
    expect(node.audit.records.map((r) => r.object)).toEqual(['message m-1 from bob@b']);
    await node.receive.execute(node.bSigns(dm));
    expect(node.push.messages).toEqual([expect.objectContaining({ fromUser: 'bob@b', verified: true })]);
  });

  it('signs what it originates: its users see their own messages and the echo client verified', async () => {
    const node = receivingNode();
    const sent = await node.forward.execute({ to: 'a', msg: 'mine' });
    expect(sent).toMatchObject({ ok: true, status: 'delivered' });
    await node.receive.execute({ msg: 'echo' });
    expect(node.push.messages.map((m) => [m.msg, m.from, m.verified])).toEqual([
      ['mine', 'a', true],
      ['echo', 'a', true],
    ]);
    // Nobody else can speak for this node: its own id without its signature is refused.
    await expect(node.receive.execute({ ...BASE, id: 'm-9', from: 'a' })).rejects.toThrow(BadSignature);
  });
});

describe('batch proofs (one signature for a POST /msgs batch)', () => {
  const bSide = (b: Ed25519NodeSigner) =>
    new MessageSignatures({ self: 'b', signer: b, verifier, keyOf: () => undefined, clock: new FakeClock() });
  const own = (i: number): ChatMessage => ({ ...BASE, id: `own-${i}`, msg: `mine ${i}` });

  it("checks one signature for b's own messages; a relayed one in the batch is checked on its own", async () => {
    const node = receivingNode();
    const c = Ed25519NodeSigner.generate();
    // A message of a node a does not know the key of, relayed by b: base rules, not covered by b's proof.
    const relayed = {
      ...BASE,
      id: 'relayed',
      from: 'c',
      sig: c.sign(canonicalMessage({ ...BASE, from: 'c' })),
    };
    const batch: ChatMessage[] = [own(1), own(2), own(3), relayed];
    const proof = bSide(node.b).sealBatch(batch);
    expect(proof?.signer).toBe('b');
    const outcomes = await node.receiveMany.execute(batch as InboundMessage[], proof);
    expect(outcomes.map((o) => o.ok)).toEqual([true, true, true, true]);
    expect(node.counting.calls).toBe(1);
    expect(node.push.messages.map((m) => [m.id, m.verified ?? false])).toEqual([
      ['own-1', true],
      ['own-2', true],
      ['own-3', true],
      ['relayed', false],
    ]);
  });

  it('ignores a proof by another key, or for other messages: each message is then checked, forged ones refused', async () => {
    const node = receivingNode();
    const stranger = Ed25519NodeSigner.generate();
    const strangerSide = new MessageSignatures({
      self: 'b',
      signer: stranger,
      verifier,
      keyOf: () => undefined,
      clock: new FakeClock(),
    });
    const forged = [own(1), own(2)];
    const byStranger = await node.receiveMany.execute(
      forged as InboundMessage[],
      strangerSide.sealBatch(forged),
    );
    expect(byStranger.map((o) => (o.ok ? o.status : o.error.code))).toEqual([
      'bad_signature',
      'bad_signature',
    ]);

    // b's real proof for two messages, with a third slipped in (or one changed): no longer b's batch.
    const real = [own(3), own(4)];
    const proof = bSide(node.b).sealBatch(real);
    const slipped = [...real, { ...own(5) }];
    const changed = [own(3), { ...own(4), msg: 'changed' }];
    for (const batch of [slipped, changed]) {
      const outcomes = await node.receiveMany.execute(batch as InboundMessage[], proof);
      expect(outcomes.every((o) => !o.ok && o.error.code === 'bad_signature')).toBe(true);
    }
    expect(node.push.messages).toEqual([]);
  });

  it('is made only by a keyed node for a batch holding a message of its own', () => {
    const b = Ed25519NodeSigner.generate();
    expect(bSide(b).sealBatch([{ ...BASE, from: 'c' }])).toBeUndefined();
    const unkeyed = new MessageSignatures({
      self: 'b',
      verifier,
      keyOf: () => undefined,
      clock: new FakeClock(),
    });
    expect(unkeyed.sealBatch([own(1)])).toBeUndefined();
    expect(bSide(b).sealBatch([own(1)])).toMatchObject({ signer: 'b', sig: expect.any(String) });
  });
});

describe('a keyed node sending its backlog (in-memory network, fake clock)', () => {
  it('sends batches with a proof, so the receiver checks one signature per batch, and shows them verified', async () => {
    const clock = new FakeClock();
    const net = new InMemoryNetwork({ clock });
    const aKey = Ed25519NodeSigner.generate();
    const signs = { calls: 0 };
    const aSigner = {
      publicKey: aKey.publicKey,
      sign: (payload: string) => {
        signs.calls++;
        return aKey.sign(payload);
      },
    };
    const checks = { calls: 0 };
    const counting = {
      verify: (key: string, payload: string, sig: string) => {
        checks.calls++;
        return verifier.verify(key, payload, sig);
      },
    };
    const a = createMemoryNode(net, 'a', {
      clock,
      incarnation: clock.now(),
      signatures: new MessageSignatures({
        self: 'a',
        signer: aSigner,
        verifier,
        keyOf: () => undefined,
        clock,
      }),
    });
    const b = createMemoryNode(net, 'b', {
      clock,
      incarnation: clock.now(),
      signatures: new MessageSignatures({
        self: 'b',
        verifier: counting,
        keyOf: (id) => (id === 'a' ? aKey.publicKey : undefined),
        clock,
      }),
    });
    try {
      await b.join.execute([a.url]);
      net.setDown(b.url, true);
      a.registry.suspect('b');
      for (let i = 1; i <= 30; i++) await a.forward.execute({ to: 'b', msg: `m${i}` });
      net.setDown(b.url, false);
      a.registry.confirm(b.registry.self);
      for (let t = 0; b.users.messages.length < 30; t += 50) {
        if (t > 5_000) throw new Error(`b has ${b.users.messages.length} of 30 messages`);
        await clock.advance(50);
      }
      expect(b.users.messages.every((m) => m.verified === true && !('sig' in m))).toBe(true);
      // Fewer checks than messages: one per batch (a lone message in a call of its own is checked alone).
      expect(checks.calls).toBeGreaterThan(0);
      expect(checks.calls).toBeLessThan(5);
      // The origin signs once per call, not once per message: the batches' proofs stand for their messages.
      expect(signs.calls).toBeGreaterThan(0);
      expect(signs.calls).toBeLessThan(5);
      // Its own users see what they sent as verified too.
      expect(a.store.history().every((m) => m.verified === true)).toBe(true);
      // A message sent alone carries its own signature: b shows it verified, and the outbox kept it unsigned.
      const before = signs.calls;
      await a.forward.execute({ to: 'b', msg: 'alone' });
      for (let t = 0; b.users.messages.length < 31; t += 50) {
        if (t > 5_000) throw new Error(`b has ${b.users.messages.length} of 31 messages`);
        await clock.advance(50);
      }
      expect(b.users.messages[30]).toMatchObject({ msg: 'alone', verified: true });
      expect(signs.calls).toBe(before + 1);
    } finally {
      a.courier.stop();
      b.courier.stop();
    }
  });
});
