import { beforeEach, describe, expect, it } from 'vitest';
import { MemoryMessageStore } from '../../src/adapters/storage/memory-message-store.js';
import { DEFAULT_MESSAGE_STORE_SETTINGS } from '../../src/adapters/storage/message-store-settings.js';
import { Courier } from '../../src/application/messaging/courier.js';
import { BROADCAST, type StatusUpdate } from '../../src/domain/delivery.js';
import type { ChatMessage } from '../../src/domain/message.js';
import { PeerRegistry } from '../../src/domain/peer-registry.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { createMemoryNode, InMemoryNetwork, memoryUrl } from '../fakes/in-memory-network.js';

/**
 * A courier on fakes whose users and whose sender write to one log, in the order a socket would carry them:
 * the sender's ack is written in the turn `send` resolves, as the front ends do.
 */
function setup() {
  const clock = new FakeClock();
  const net = new InMemoryNetwork({ clock });
  const registry = new PeerRegistry({ id: 'a', url: memoryUrl('a') }, clock.now());
  const wire: string[] = [];
  const statuses: StatusUpdate[] = [];
  const users = {
    pushMessage: () => 1,
    pushStatus: (update: StatusUpdate) => {
      statuses.push(update);
      wire.push(`status ${update.id} ${update.node} ${update.status}`);
    },
  };
  const store = new MemoryMessageStore(DEFAULT_MESSAGE_STORE_SETTINGS);
  const courier = new Courier({ registry, peers: net.client(registry.self.url), store, clock, users });
  courier.start();
  let n = 0;
  const message = (to: string): ChatMessage => ({
    id: `m${++n}`,
    from: 'a',
    to,
    msg: 'hi',
    ts: new Date(clock.now()).toISOString(),
  });
  const sendAndAck = async (msg: ChatMessage) => {
    const targets =
      msg.to === BROADCAST
        ? registry.peers()
        : [registry.known(msg.to) as NonNullable<ReturnType<typeof registry.known>>];
    const outcomes = await courier.send(msg, targets, { notify: true, outgoing: true });
    wire.push(`ack ${msg.id} ${outcomes.map((o) => o.status).join(',')}`);
    return outcomes;
  };
  return { clock, net, registry, courier, wire, statuses, message, sendAndAck };
}

describe('Courier: acknowledgements before status events', () => {
  let t: ReturnType<typeof setup>;

  beforeEach(() => {
    t = setup();
  });

  it('holds the status of a broadcast with nobody to send to until the sender has its ack', async () => {
    await t.sendAndAck(t.message(BROADCAST));
    expect(t.wire).toEqual(['ack m1 ']);
    await t.clock.advance(0);
    expect(t.wire).toEqual(['ack m1 ', 'status m1 * delivered']);
    expect(t.statuses[0]?.seq).toEqual(expect.any(Number));
  });

  it('holds the status of a copy delivered at the first attempt until the sender has its ack', async () => {
    const b = createMemoryNode(t.net, 'b', { clock: t.clock });
    t.registry.announce(b.registry.self);
    await t.sendAndAck(t.message('b'));
    expect(b.users.texts()).toEqual(['hi']);
    expect(t.wire).toEqual(['ack m1 delivered']);
    await t.clock.advance(0);
    expect(t.wire).toEqual(['ack m1 delivered', 'status m1 b delivered']);
  });

  it('keeps the order of held updates for the copies of one broadcast', async () => {
    for (const id of ['b', 'c'])
      t.registry.announce(createMemoryNode(t.net, id, { clock: t.clock }).registry.self);
    await t.sendAndAck(t.message(BROADCAST));
    await t.clock.advance(0);
    expect(t.wire).toEqual(['ack m1 delivered,delivered', 'status m1 b delivered', 'status m1 c delivered']);
  });

  it('tells the status of a copy that settles later as soon as it settles', async () => {
    const b = createMemoryNode(t.net, 'b', { clock: t.clock });
    t.registry.announce(b.registry.self);
    t.net.setDown(b.url, true);
    await t.sendAndAck(t.message('b'));
    await t.clock.advance(0);
    expect(t.wire).toEqual(['ack m1 queued']);
    t.net.setDown(b.url, false);
    t.registry.confirm(b.registry.self);
    const deadline = t.clock.now() + 10_000;
    while (t.statuses.length === 0 && t.clock.now() < deadline) await t.clock.advance(50);
    expect(t.wire).toEqual(['ack m1 queued', 'status m1 b delivered']);
  });

  it('holds nothing for a relay, whose sender hears no status', async () => {
    const b = createMemoryNode(t.net, 'b', { clock: t.clock });
    t.registry.announce(b.registry.self);
    const relay = { ...t.message('b'), from: 'plain' };
    expect(await t.courier.send(relay, [b.registry.self], { notify: false })).toEqual([
      { status: 'delivered' },
    ]);
    await t.clock.advance(0);
    expect(t.statuses).toEqual([]);
  });
});
