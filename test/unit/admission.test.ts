import { afterEach, describe, expect, it } from 'vitest';
import { MemoryMessageStore } from '../../src/adapters/storage/memory-message-store.js';
import { DEFAULT_MESSAGE_STORE_SETTINGS } from '../../src/adapters/storage/message-store-settings.js';
import { sendFromUser } from '../../src/adapters/users/send-from-user.js';
import { DestinationBusy, OutboxFull } from '../../src/application/errors.js';
import { Courier } from '../../src/application/messaging/courier.js';
import type { DeliverySettings } from '../../src/application/messaging/delivery-settings.js';
import type { ForwardMessage } from '../../src/application/messaging/forward-message.js';
import type { PeerClient } from '../../src/application/ports/peer-client.js';
import { admit } from '../../src/domain/admission.js';
import type { ChatMessage } from '../../src/domain/message.js';
import type { NodeRecord } from '../../src/domain/node-record.js';
import { PeerRegistry } from '../../src/domain/peer-registry.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { createMemoryNode, InMemoryNetwork, type MemoryNode, memoryUrl } from '../fakes/in-memory-network.js';

describe('admit: the admission rule', () => {
  const settings = { maxWaiting: 3, maxWaitMs: 2_000 };

  it('admits a send for a destination with nothing waiting, whatever the bounds', () => {
    const clock = new FakeClock();
    const load = { waiting: 0, oldestAt: undefined, backingOff: false };
    expect(admit(load, clock.now(), { maxWaiting: 1, maxWaitMs: 1 })).toBeUndefined();
  });

  it('refuses once maxWaiting messages wait, with retryAfter the age bound in whole seconds', () => {
    const clock = new FakeClock();
    const at = clock.now();
    expect(admit({ waiting: 2, oldestAt: at, backingOff: false }, at, settings)).toBeUndefined();
    expect(admit({ waiting: 3, oldestAt: at, backingOff: false }, at, settings)).toEqual({
      reason: 'waiting',
      retryAfterSeconds: 2,
    });
  });

  it('refuses once the oldest waiting message has waited maxWaitMs', async () => {
    const clock = new FakeClock();
    const oldestAt = clock.now();
    const load = { waiting: 1, oldestAt, backingOff: false };
    await clock.advance(1_999);
    expect(admit(load, clock.now(), settings)).toBeUndefined();
    await clock.advance(1);
    expect(admit(load, clock.now(), settings)).toEqual({ reason: 'age', retryAfterSeconds: 2 });
  });

  it('does not judge a destination the outbox backs off from: its messages are kept for later', async () => {
    const clock = new FakeClock();
    const load = { waiting: 50, oldestAt: clock.now(), backingOff: true };
    await clock.advance(60_000);
    expect(admit(load, clock.now(), settings)).toBeUndefined();
  });

  it('a bound of 0 is no bound, and retryAfter is at least one second', async () => {
    const clock = new FakeClock();
    const load = { waiting: 1_000, oldestAt: clock.now(), backingOff: false };
    await clock.advance(500);
    expect(admit(load, clock.now(), { maxWaiting: 0, maxWaitMs: 0 })).toBeUndefined();
    expect(admit(load, clock.now(), { maxWaiting: 0, maxWaitMs: 400 })).toEqual({
      reason: 'age',
      retryAfterSeconds: 1,
    });
  });
});

/** Holds every message call to other nodes until `open` (a destination that answers, slowly). */
function gated(inner: PeerClient) {
  let release = () => {};
  let gate: Promise<void> | undefined;
  const close = () => {
    gate = new Promise<void>((resolve) => {
      release = resolve;
    });
  };
  const peers = new Proxy(inner, {
    get(target, prop) {
      if (prop === 'sendMessages' || prop === 'sendMessage') {
        const call = Reflect.get(target, prop) as (...args: unknown[]) => Promise<unknown>;
        return async (...args: unknown[]) => {
          await gate;
          return call.apply(target, args);
        };
      }
      const value = Reflect.get(target, prop);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { peers, close, open: () => release() };
}

function setup(settings: Partial<DeliverySettings>) {
  const clock = new FakeClock();
  const net = new InMemoryNetwork({ clock });
  const registry = new PeerRegistry({ id: 'a', url: memoryUrl('a') }, clock.now());
  const b = createMemoryNode(net, 'b', { clock });
  registry.announce(b.registry.self);
  const gate = gated(net.client(registry.self.url));
  const users = { pushMessage: () => 1, pushStatus: () => {} };
  const store = new MemoryMessageStore(DEFAULT_MESSAGE_STORE_SETTINGS);
  const courier = new Courier({ registry, peers: gate.peers, store, clock, users }, settings);
  courier.start();
  let n = 0;
  const message = (to = 'b'): ChatMessage => ({
    id: `m${++n}`,
    from: 'a',
    to,
    msg: `hi ${n}`,
    ts: new Date(clock.now()).toISOString(),
  });
  const target = () => registry.known('b') as NodeRecord;
  const fromUser = (msg = message()) =>
    courier.send(msg, [target()], { notify: true, outgoing: true, admit: true });
  return { clock, net, b, gate, courier, message, target, fromUser };
}

describe('Courier: admission of users’ messages', () => {
  it('refuses sends past maxWaiting for a slow destination, loses none it took, and admits again once it catches up', async () => {
    const t = setup({ admitMaxWaiting: 3, admitMaxWaitMs: 0 });
    t.gate.close();
    // All four in one turn, before any is stored: the ones being stored count too.
    const taken = [t.fromUser(), t.fromUser(), t.fromUser()];
    const refused = t.fromUser();
    await expect(refused).rejects.toBeInstanceOf(DestinationBusy);
    await expect(refused).rejects.toMatchObject({ code: 'destination_busy', retryAfterSeconds: 1 });
    expect(t.courier.depth).toBe(3);
    t.gate.open();
    const outcomes = await Promise.all(taken);
    expect(outcomes.flat().map((o) => o.status)).toEqual(['delivered', 'delivered', 'delivered']);
    expect(t.b.users.texts()).toEqual(['hi 1', 'hi 2', 'hi 3']);
    expect(await t.fromUser()).toEqual([{ status: 'delivered' }]);
    expect(t.b.users.texts()).toEqual(['hi 1', 'hi 2', 'hi 3', 'hi 5']);
  });

  it('counts a message once, also while its sender still waits for the first attempt', async () => {
    const t = setup({ admitMaxWaiting: 3, admitMaxWaitMs: 0 });
    t.gate.close();
    const taken = [t.fromUser(), t.fromUser()];
    await t.clock.advance(0);
    taken.push(t.fromUser());
    await t.clock.advance(0);
    expect(t.courier.depth).toBe(3);
    await expect(t.fromUser()).rejects.toBeInstanceOf(DestinationBusy);
    t.gate.open();
    expect((await Promise.all(taken)).flat().map((o) => o.status)).toEqual([
      'delivered',
      'delivered',
      'delivered',
    ]);
  });

  it('refuses sends once the oldest waiting message has waited maxWaitMs', async () => {
    const t = setup({ admitMaxWaiting: 0, admitMaxWaitMs: 1_500, ackWaitMs: 60_000 });
    t.gate.close();
    const first = t.fromUser();
    await t.clock.advance(0);
    await t.clock.advance(1_499);
    const second = t.fromUser();
    await t.clock.advance(1);
    await expect(t.fromUser()).rejects.toMatchObject({ code: 'destination_busy', retryAfterSeconds: 2 });
    t.gate.open();
    expect((await Promise.all([first, second])).flat()).toEqual([
      { status: 'delivered' },
      { status: 'delivered' },
    ]);
    expect(await t.fromUser()).toEqual([{ status: 'delivered' }]);
  });

  it('keeps taking messages for a destination that is down, up to the outbox bound', async () => {
    const t = setup({ admitMaxWaiting: 2, admitMaxWaitMs: 1, maxQueuedPerNode: 5 });
    t.net.setDown(memoryUrl('b'), true);
    const acks = [];
    for (let i = 0; i < 5; i++) acks.push(await t.fromUser());
    expect(acks.flat().every((o) => o.status === 'queued')).toBe(true);
    await t.clock.advance(10_000);
    await expect(t.fromUser()).rejects.toBeInstanceOf(OutboxFull);
  });

  it('does not apply to messages this node relays, only to users’ own', async () => {
    const t = setup({ admitMaxWaiting: 1, admitMaxWaitMs: 0 });
    t.gate.close();
    const first = t.fromUser();
    await t.clock.advance(0);
    await expect(t.fromUser()).rejects.toBeInstanceOf(DestinationBusy);
    const relayed = t.courier.send(t.message(), [t.target()], { notify: false });
    await t.clock.advance(0);
    expect(t.courier.depth).toBe(2);
    t.gate.open();
    await Promise.all([first, relayed]);
    expect(t.courier.depth).toBe(0);
  });
});

describe('a user’s send refused before the message is made', () => {
  const errors = {
    report: (error: unknown) => {
      throw error;
    },
  };
  const nodes: MemoryNode[] = [];
  afterEach(() => {
    for (const node of nodes.splice(0)) node.courier.stop();
  });

  /** A, with admission bound 2, and B that takes calls and never answers (behind, not down). */
  async function behind(delivery: Partial<DeliverySettings> = {}) {
    const clock = new FakeClock();
    const net = new InMemoryNetwork({ clock });
    const options = {
      clock,
      incarnation: clock.now(),
      delivery: { admitMaxWaiting: 2, admitMaxWaitMs: 0, ...delivery },
    };
    const a = createMemoryNode(net, 'a', { ...options, accounts: ['alice'] });
    const b = createMemoryNode(net, 'b', { ...options, accounts: ['bob'] });
    nodes.push(a, b);
    await b.join.execute([a.url]);
    net.setHanging(b.url, true);
    // Two taken (stored, waiting for B): the bound.
    void a.forward.execute({ to: 'b', msg: 'x-1' });
    void a.forward.execute({ to: 'b', msg: 'x-2' });
    await clock.advance(0);
    expect(a.courier.depth).toBe(2);
    return { a, b };
  }

  const busy = {
    ok: false,
    error: {
      code: 'destination_busy',
      message: 'Node "b" is behind (2 messages already wait for it); nothing was taken, try again in 1 s.',
      retryAfter: 1,
    },
  };

  it('answers as the courier’s gate does (code, sentence, retryAfter), and draws no id', async () => {
    const { a } = await behind();
    const refused = await sendFromUser(a.forward, { to: 'b', msg: 'x-3' }, errors, 'conn-1');
    expect(refused).toEqual(busy);
    // The same message through `Courier.send` alone is refused by its gate, thrown, and told the same.
    const byGate = {
      execute: async () => {
        const message = { id: 'other', from: 'a', to: 'b', msg: 'x-3', ts: new Date(0).toISOString() };
        const target = a.registry.known('b') as NodeRecord;
        await a.courier.send(message, [target], { notify: true, outgoing: true, admit: true });
        return { ok: true, id: 'other', status: 'queued' } as const;
      },
    } as unknown as ForwardMessage;
    expect(await sendFromUser(byGate, { to: 'b', msg: 'x-3' }, errors)).toEqual(refused);
    expect(a.courier.depth).toBe(2);
    // The refusal took no id: the next message made gets the third.
    expect(await a.forward.execute({ to: 'a', msg: 'to myself' })).toMatchObject({ ok: true, id: 'a-3' });
  });

  it('still answers outbox_full first when the outbox for that node is full too, as before', async () => {
    const { a } = await behind({ maxQueuedPerNode: 2 });
    const refused = await sendFromUser(a.forward, { to: 'b', msg: 'x-3' }, errors, 'conn-1');
    expect(refused).toMatchObject({ ok: false, error: { code: 'outbox_full' } });
    expect(a.courier.depth).toBe(2);
  });

  it('still answers node_stopping first once the node is stopping, as before', async () => {
    const { a } = await behind();
    a.courier.stop();
    const refused = await sendFromUser(a.forward, { to: 'b', msg: 'x-3' }, errors, 'conn-1');
    expect(refused).toMatchObject({ ok: false, error: { code: 'node_stopping' } });
  });

  it('refuses a direct message for a user of a node that is behind the same way, before it is made', async () => {
    const { a } = await behind();
    const alice = { address: 'alice@a', displayName: 'alice@a' };
    expect(await a.forward.execute({ to: 'bob@b', msg: 'x-3' }, 'conn-1', alice)).toEqual(busy);
    expect(a.courier.depth).toBe(2);
    expect(await a.forward.execute({ to: 'a', msg: 'to myself' })).toMatchObject({ ok: true, id: 'a-3' });
  });
});
