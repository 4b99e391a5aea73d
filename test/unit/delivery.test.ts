import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BROADCAST, retryDelay } from '../../src/domain/delivery.js';
import { TooLarge } from '../../src/domain/errors.js';
import { FakeClock } from '../fakes/fake-clock.js';
import {
  createMemoryNode,
  createPlainMemoryNode,
  InMemoryNetwork,
  type MemoryNode,
} from '../fakes/in-memory-network.js';
import { seededRandom } from '../fakes/seeded-random.js';

const SECOND = 1_000;

/** Moves the fake clock in small steps until `done` holds; returns the time it took, or fails at `limitMs`. */
async function runUntil(
  clock: FakeClock,
  done: () => boolean,
  limitMs: number,
  stepMs = 50,
): Promise<number> {
  const start = clock.now();
  while (!done()) {
    if (clock.now() - start > limitMs) throw new Error(`condition not met within ${limitMs} ms of fake time`);
    await clock.advance(stepMs);
  }
  return clock.now() - start;
}

describe('delivery through the outbox (in-memory network, fake clock)', () => {
  let net: InMemoryNetwork;
  let clock: FakeClock;
  let nodes: MemoryNode[];
  let a: MemoryNode;
  let b: MemoryNode;

  const start = async (ids: string[], delivery = {}) => {
    nodes = ids.map((id) =>
      createMemoryNode(net, id, { clock, delivery, random: seededRandom(7), incarnation: clock.now() }),
    );
    for (const node of nodes.slice(1)) await node.join.execute([nodes[0]?.url as string]);
    [a, b] = nodes as [MemoryNode, MemoryNode];
  };

  /** What the registry does when the failure detector finds `node` down, then answering again. */
  const down = (node: MemoryNode) => {
    net.setDown(node.url, true);
    for (const other of nodes) other.registry.suspect(node.id);
  };
  const back = (node: MemoryNode) => {
    net.setDown(node.url, false);
    for (const other of nodes) other.registry.confirm(node.registry.self);
  };

  beforeEach(() => {
    clock = new FakeClock();
    net = new InMemoryNetwork({ clock });
  });

  afterEach(() => {
    for (const node of nodes ?? []) node.courier.stop();
  });

  it('acknowledges delivered when the destination takes it at once', async () => {
    await start(['a', 'b']);
    expect(await a.forward.execute({ to: 'b', msg: 'hi' })).toEqual({
      ok: true,
      id: 'a-1',
      status: 'delivered',
    });
    expect(b.users.texts()).toEqual(['hi']);
    expect(a.courier.depth).toBe(0);
    // The sender's history holds it as sent and delivered.
    await clock.advance(0);
    expect(a.store.history()).toMatchObject([{ id: 'a-1', to: 'b', status: 'delivered' }]);
  });

  it('queues while the destination is down, then delivers everything once and in order, with status events', async () => {
    await start(['a', 'b']);
    down(b);
    const acks = [];
    for (let i = 1; i <= 30; i++) acks.push(await a.forward.execute({ to: 'b', msg: `m${i}` }));
    expect(acks.every((ack) => ack.ok && ack.status === 'queued')).toBe(true);
    expect(a.courier.depth).toBe(30);
    await clock.advance(20 * SECOND);

    const callsBefore = net.calls;
    back(b);
    await runUntil(clock, () => b.users.messages.length === 30, 5 * SECOND);
    expect(b.users.texts()).toEqual(Array.from({ length: 30 }, (_, i) => `m${i + 1}`));
    // A meshchat destination gets the backlog in batches, not one call per message.
    expect(net.calls - callsBefore).toBeLessThan(5);
    await runUntil(clock, () => a.users.statuses.length === 30, SECOND);
    expect(a.users.statuses.map((s) => [s.id, s.node, s.status])).toEqual(
      acks.map((ack) => [ack.ok ? ack.id : '', 'b', 'delivered']),
    );
    expect(a.users.statuses.every((s) => typeof s.seq === 'number')).toBe(true);
    expect(a.courier.depth).toBe(0);
    expect(a.store.pending()).toEqual([]);
    // Nothing more arrives later: exactly once.
    await clock.advance(60 * SECOND);
    expect(b.users.messages).toHaveLength(30);
  });

  it('retries with growing, jittered delays, and at once when the destination is seen alive', async () => {
    await start(['a', 'b'], { retryBaseMs: 500, retryMaxMs: 30 * SECOND });
    down(b);
    let attempts = 0;
    const real = b.api.receive;
    b.api.receive = (message) => {
      attempts++;
      return real(message);
    };
    const attemptTimes: number[] = [];
    const countCalls = net.call.bind(net);
    net.call = (url, use, from, timeoutMs) => {
      if (url === b.url) attemptTimes.push(clock.now());
      return countCalls(url, use, from, timeoutMs);
    };
    await a.forward.execute({ to: 'b', msg: 'persistent' });
    await clock.advance(0);
    for (let t = 0; t < 120; t++) await clock.advance(SECOND);
    const gaps = attemptTimes.slice(1).map((at, i) => at - (attemptTimes[i] as number));
    expect(gaps.length).toBeGreaterThanOrEqual(5);
    expect(gaps.length).toBeLessThan(15);
    // Doubling until the cap: later gaps are longer than the first ones, and never above the cap (+ a step).
    expect(gaps.at(-1) as number).toBeGreaterThan(4 * (gaps[0] as number));
    expect(Math.max(...gaps)).toBeLessThanOrEqual(31 * SECOND);

    // Back: the registry sees it alive, and the message goes within a step, not after the rest of the backoff.
    back(b);
    const took = await runUntil(clock, () => b.users.messages.length === 1, 30 * SECOND, 10);
    expect(took).toBeLessThanOrEqual(20);
    expect(attempts).toBe(1);
  });

  it('tells the sender "expired" when the destination never returns within the time to live', async () => {
    await start(['a', 'b'], { ttlMs: 10 * SECOND });
    down(b);
    const ack = await a.forward.execute({ to: 'b', msg: 'too late' });
    expect(ack).toMatchObject({ ok: true, status: 'queued' });
    const took = await runUntil(clock, () => a.users.statuses.length > 0, 30 * SECOND);
    expect(took).toBeGreaterThanOrEqual(9 * SECOND);
    expect(took).toBeLessThanOrEqual(12 * SECOND);
    expect(a.users.statuses).toMatchObject([
      { id: ack.ok ? ack.id : '', to: 'b', node: 'b', status: 'expired', error: { code: 'expired' } },
    ]);
    expect(a.store.pending()).toEqual([]);
    expect(a.store.history()).toMatchObject([{ status: 'expired' }]);
    back(b);
    await clock.advance(30 * SECOND);
    expect(b.users.messages).toEqual([]);
  });

  it('queues for a node found dead but remembered, refuses a node never seen', async () => {
    await start(['a', 'b', 'c']);
    net.setDown(b.url, true);
    a.registry.suspect('b');
    a.registry.declareDead('b', clock.now());
    expect(a.registry.get('b')).toBeUndefined();
    expect(await a.forward.execute({ to: 'b', msg: 'for later' })).toMatchObject({
      ok: true,
      status: 'queued',
    });
    expect(await a.forward.execute({ to: 'zed', msg: 'x' })).toMatchObject({
      ok: false,
      error: { code: 'unknown_node' },
    });
    net.setDown(b.url, false);
    a.registry.confirm(b.registry.self);
    await runUntil(clock, () => b.users.messages.length === 1, 5 * SECOND);
    expect(b.users.texts()).toEqual(['for later']);
  });

  it('tells the sender at once when the destination refuses a message for good, and keeps going', async () => {
    await start(['a', 'b']);
    b.api.receive = async () => {
      throw new TooLarge('message_too_large', 'Too big here.');
    };
    const ack = await a.forward.execute({ to: 'b', msg: 'x' });
    expect(ack).toMatchObject({ ok: false, error: { code: 'message_too_large' } });
    expect(a.courier.depth).toBe(0);
    await clock.advance(0);
    expect(a.store.history()).toMatchObject([{ status: 'failed' }]);
  });

  it('takes the same message id once, however often it is sent, also after a restart', async () => {
    await start(['a', 'b']);
    const message = {
      id: 'same-1',
      from: 'a',
      to: 'b',
      msg: 'once',
      ts: new Date(clock.now()).toISOString(),
    };
    const outcomes = [];
    for (let i = 0; i < 3; i++) outcomes.push((await b.receive.execute(message)).status);
    expect(outcomes).toEqual(['delivered', 'duplicate', 'duplicate']);
    // b restarts over the same store.
    net.unregister(b.url);
    const again = createMemoryNode(net, 'b', { clock, store: b.store, incarnation: clock.now() + 1 });
    nodes.push(again);
    expect((await again.receive.execute(message)).status).toBe('duplicate');
    expect(b.users.texts()).toEqual(['once']);
    expect(again.users.messages).toEqual([]);
  });

  it('resumes the outbox after the origin restarts: each message delivered exactly once, in order', async () => {
    await start(['a', 'b']);
    down(b);
    for (let i = 1; i <= 10; i++) await a.forward.execute({ to: 'b', msg: `m${i}` });
    // a crashes: its courier stops with everything still in its store; a new a starts over the same store.
    a.courier.stop();
    net.unregister(a.url);
    const restarted = createMemoryNode(net, 'a', { clock, store: a.store, incarnation: clock.now() + 1 });
    nodes.push(restarted);
    await restarted.join.execute([b.url]).catch(() => undefined);
    restarted.registry.announce(b.registry.self);
    net.setDown(b.url, false);
    await runUntil(clock, () => b.users.messages.length === 10, 40 * SECOND);
    expect(b.users.texts()).toEqual(Array.from({ length: 10 }, (_, i) => `m${i + 1}`));
    await clock.advance(60 * SECOND);
    expect(b.users.messages).toHaveLength(10);
    // Its users hear how the queued messages ended, though they were queued before the restart.
    expect(restarted.users.statuses.filter((s) => s.status === 'delivered')).toHaveLength(10);
  });

  it("broadcasts to every node once, a plain node included, and to the sender's own users", async () => {
    await start(['a', 'b', 'c', 'd']);
    const plain = createPlainMemoryNode(net, 'plain');
    for (const node of nodes) node.registry.announce({ id: plain.id, url: plain.url });
    const ack = await a.forward.execute({ to: BROADCAST, msg: 'hello all' });
    expect(ack).toMatchObject({ ok: true, status: 'delivered' });
    for (const node of nodes) expect(node.users.texts()).toEqual(['hello all']);
    expect(plain.received).toMatchObject([{ to: 'plain', from: 'a', msg: 'hello all' }]);
    expect(plain.extensionCalls()).toBe(0);
    await clock.advance(60 * SECOND);
    for (const node of nodes) expect(node.users.messages).toHaveLength(1);
    expect(plain.received).toHaveLength(1);
  });

  it('queues a broadcast for a node that is down and delivers it when it is back', async () => {
    await start(['a', 'b', 'c']);
    const c = nodes[2] as MemoryNode;
    down(c);
    const ack = await a.forward.execute({ to: BROADCAST, msg: 'news' });
    expect(ack).toMatchObject({ ok: true, status: 'queued' });
    expect(b.users.texts()).toEqual(['news']);
    await clock.advance(0);
    expect(a.store.history()).toMatchObject([{ id: ack.ok ? ack.id : '', to: '*', status: 'queued' }]);
    back(c);
    await runUntil(clock, () => c.users.messages.length === 1, 5 * SECOND);
    await runUntil(clock, () => a.users.statuses.length === 2, SECOND);
    expect(a.users.statuses).toMatchObject([
      { to: '*', node: 'b', status: 'delivered' },
      { to: '*', node: 'c', status: 'delivered', seq: expect.any(Number) },
    ]);
    expect(a.store.history()).toMatchObject([{ to: '*', status: 'delivered' }]);
  });

  it('fans out a broadcast a plain node sent without an id, but not the copies that carry one', async () => {
    await start(['a', 'b', 'c']);
    const callsBefore = net.calls;
    const outcome = await a.receive.execute({ from: 'plain', to: BROADCAST, msg: 'from a plain user' });
    expect(outcome.status).toBe('delivered');
    for (const node of nodes) expect(node.users.texts()).toEqual(['from a plain user']);
    expect(net.calls - callsBefore).toBe(2);
  });

  it('relays through the outbox for a plain sender when the destination is down', async () => {
    await start(['a', 'b']);
    down(b);
    const outcome = await a.receive.execute({ from: 'plain', to: 'b', msg: 'via a' });
    expect(outcome.status).toBe('queued');
    back(b);
    await runUntil(clock, () => b.users.messages.length === 1, 5 * SECOND);
    expect(b.users.messages).toMatchObject([{ from: 'plain', to: 'b', msg: 'via a', id: outcome.id }]);
    // A relay is not the relaying node's users' business.
    expect(a.users.statuses).toEqual([]);
  });

  it('sends to a plain node one message per call, in order, without the batch extension', async () => {
    await start(['a']);
    const plain = createPlainMemoryNode(net, 'plain');
    a.registry.announce({ id: plain.id, url: plain.url });
    net.setDown(plain.url, true);
    for (let i = 1; i <= 5; i++) await a.forward.execute({ to: 'plain', msg: `p${i}` });
    net.setDown(plain.url, false);
    a.registry.confirm({ id: plain.id, url: plain.url });
    await runUntil(clock, () => plain.received.length === 5, 40 * SECOND);
    expect(plain.received.map((m) => m.msg)).toEqual(['p1', 'p2', 'p3', 'p4', 'p5']);
    expect(plain.extensionCalls()).toBe(0);
  });
});

describe('delivery edge cases (review findings)', () => {
  let net: InMemoryNetwork;
  let clock: FakeClock;
  const made: MemoryNode[] = [];
  const node = (id: string, options: Parameters<typeof createMemoryNode>[2] = {}) => {
    const created = createMemoryNode(net, id, {
      clock,
      incarnation: clock.now(),
      random: seededRandom(3),
      ...options,
    });
    made.push(created);
    return created;
  };

  beforeEach(() => {
    clock = new FakeClock();
    net = new InMemoryNetwork({ clock });
  });

  afterEach(() => {
    for (const n of made.splice(0)) n.courier.stop();
  });

  it('sends nothing before the courier starts, then stored messages first and each once', async () => {
    const a = node('a');
    const plain = createPlainMemoryNode(net, 'plain');
    a.registry.announce({ id: plain.id, url: plain.url });
    net.setDown(plain.url, true);
    for (const text of ['old1', 'old2']) await a.forward.execute({ to: 'plain', msg: text });
    a.courier.stop();
    net.unregister(a.url);
    // The restarted node takes a new message while it is still joining (its courier not started yet).
    const again = node('a', { store: a.store, startCourier: false });
    again.registry.announce({ id: plain.id, url: plain.url });
    net.setDown(plain.url, false);
    const sending = again.forward.execute({ to: 'plain', msg: 'new' });
    await clock.advance(0);
    expect(plain.received).toEqual([]);
    again.courier.start();
    await clock.advance(3 * SECOND);
    expect(await sending).toMatchObject({ ok: true });
    await runUntil(clock, () => plain.received.length >= 3, 40 * SECOND);
    await clock.advance(60 * SECOND);
    expect(plain.received.map((m) => m.msg)).toEqual(['old1', 'old2', 'new']);
  });

  it('a broadcast with no other node is delivered at once, in history too', async () => {
    const a = node('a');
    expect(await a.forward.execute({ to: BROADCAST, msg: 'anyone?' })).toMatchObject({
      ok: true,
      status: 'delivered',
    });
    await clock.advance(0);
    expect(a.store.history()).toMatchObject([{ to: '*', status: 'delivered' }]);
    expect(a.users.statuses).toMatchObject([{ to: '*', status: 'delivered', seq: expect.any(Number) }]);
  });

  it("keeps a broadcast's failed copy in its history status across a restart", async () => {
    const a = node('a');
    const b = node('b');
    const c = node('c');
    await b.join.execute([a.url]);
    await c.join.execute([a.url]);
    b.api.receive = async () => {
      throw new TooLarge('message_too_large', 'Too big for b.');
    };
    net.setDown(c.url, true);
    const ack = await a.forward.execute({ to: BROADCAST, msg: 'big news' });
    expect(ack).toMatchObject({ ok: true, status: 'queued' });
    await clock.advance(0);
    expect(a.store.history()).toMatchObject([{ status: 'failed' }]);
    a.courier.stop();
    net.unregister(a.url);
    const again = node('a', { store: a.store });
    again.registry.announce(c.registry.self);
    net.setDown(c.url, false);
    await runUntil(clock, () => c.users.messages.length === 1, 40 * SECOND);
    await clock.advance(0);
    expect(again.store.history()).toMatchObject([{ status: 'failed' }]);
  });

  it('a lane goes on after an unexpected error instead of stalling', async () => {
    const a = node('a');
    const b = node('b');
    await b.join.execute([a.url]);
    const errors: unknown[] = [];
    const broken = node('x', { onError: (error) => errors.push(error) });
    await broken.join.execute([a.url]);
    const realCall = net.call.bind(net);
    let thrown = 0;
    net.call = (url, use, from, timeoutMs) => {
      if (url === b.url && from === broken.url && thrown++ === 0)
        return Promise.reject(new TypeError('a bug'));
      return realCall(url, use, from, timeoutMs);
    };
    const ack = await broken.forward.execute({ to: 'b', msg: 'after a bug' });
    expect(ack).toMatchObject({ ok: true, status: 'queued' });
    await runUntil(clock, () => b.users.messages.length === 1, 10 * SECOND);
    expect(errors).toHaveLength(1);
  });

  it('refuses a message when the outbox for its destination is full, and says so', async () => {
    const a = node('a', { delivery: { maxQueuedPerNode: 3 } });
    const b = node('b');
    await b.join.execute([a.url]);
    net.setDown(b.url, true);
    for (let i = 0; i < 3; i++)
      expect(await a.forward.execute({ to: 'b', msg: `m${i}` })).toMatchObject({ ok: true });
    await expect(a.forward.execute({ to: 'b', msg: 'one too many' })).rejects.toMatchObject({
      code: 'outbox_full',
    });
    expect(a.courier.depth).toBe(3);
  });

  it('shows a sent message to the other users of the node, not to the connection that sent it', async () => {
    const a = node('a');
    const b = node('b');
    await b.join.execute([a.url]);
    await a.forward.execute({ to: 'b', msg: 'hi' }, 'conn-7');
    expect(a.users.messages).toMatchObject([{ msg: 'hi', status: 'queued' }]);
    expect(a.users.exceptions).toEqual(['conn-7']);
  });
});

describe('retryDelay', () => {
  it('doubles from the base up to the cap, with the jitter in the upper half', () => {
    const backoff = { baseMs: 500, maxMs: 30_000 };
    expect(retryDelay(1, backoff, () => 0)).toBe(250);
    expect(retryDelay(1, backoff, () => 0.999999)).toBe(500);
    expect(retryDelay(3, backoff, () => 0)).toBe(1_000);
    expect(retryDelay(3, backoff, () => 0.999999)).toBe(2_000);
    expect(retryDelay(20, backoff, () => 0.999999)).toBe(30_000);
    expect(retryDelay(1_000, backoff, () => 0)).toBe(15_000);
  });
});
