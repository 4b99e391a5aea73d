import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_MESSAGE_STORE_SETTINGS } from '../../src/adapters/storage/message-store-settings.js';
import { openDatabase } from '../../src/adapters/storage/open-database.js';
import { SqliteInbox } from '../../src/adapters/storage/sqlite-inbox.js';
import { SqliteMessageStore } from '../../src/adapters/storage/sqlite-message-store.js';
import type { SendOutcome } from '../../src/application/messaging/forward-message.js';
import type { Sender } from '../../src/application/messaging/send-direct-message.js';
import { FakeClock } from '../fakes/fake-clock.js';
import {
  createMemoryNode,
  createPlainMemoryNode,
  InMemoryNetwork,
  type MemoryNode,
} from '../fakes/in-memory-network.js';
import { seededRandom } from '../fakes/seeded-random.js';

const alice: Sender = { address: 'alice@a', displayName: 'alice@a' };

describe('direct messages (in-memory network, fake clock)', () => {
  let net: InMemoryNetwork;
  let clock: FakeClock;
  let nodes: MemoryNode[];
  let dirs: string[];

  const node = (id: string, accounts: string[], extra: Parameters<typeof createMemoryNode>[2] = {}) => {
    const n = createMemoryNode(net, id, {
      clock,
      random: seededRandom(3),
      incarnation: clock.now(),
      accounts,
      ...extra,
    });
    nodes.push(n);
    return n;
  };

  /** Two joined nodes: alice lives on `a`, bob and carol on `b`. */
  const pair = async (bOptions: Parameters<typeof createMemoryNode>[2] = {}) => {
    const a = node('a', ['alice']);
    const b = node('b', ['bob', 'carol'], bOptions);
    await b.join.execute([a.url]);
    return { a, b };
  };

  /** Sends as `sender`, moving the fake clock while the first attempt may wait. */
  const send = async (from: MemoryNode, input: object, sender?: Sender, origin?: string) => {
    let outcome: SendOutcome | undefined;
    const sending = from.forward.execute(input, origin, sender).then((o) => {
      outcome = o;
    });
    while (outcome === undefined) await clock.advance(100);
    await sending;
    await clock.advance(0);
    return outcome;
  };

  const dir = () => {
    const d = mkdtempSync(join(tmpdir(), 'meshchat-dm-'));
    dirs.push(d);
    return d;
  };

  beforeEach(() => {
    clock = new FakeClock();
    net = new InMemoryNetwork({ clock });
    nodes = [];
    dirs = [];
  });

  afterEach(() => {
    for (const n of nodes) n.courier.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("reaches only the recipient's connections, stamped by the origin node; the sender's others see it sent", async () => {
    const { a, b } = await pair();
    const bob = b.connections.connect('b1', 'bob');
    const bob2 = b.connections.connect('b2', 'bob');
    const carol = b.connections.connect('b3', 'carol');
    const anonB = b.connections.connect('b4');
    a.connections.connect('a1', 'alice');
    const alice2 = a.connections.connect('a2', 'alice');
    const anonA = a.connections.connect('a3');
    // The recipients are the node's one account store and presence, which GET /users (the directory) lists too.
    expect(b.listUsers.execute().map((u) => [u.user, u.online])).toEqual([
      ['bob@b', true],
      ['carol@b', true],
    ]);

    const outcome = await send(
      a,
      { to: 'Bob@b', msg: 'psst', from: 'zz', fromUser: 'mallory@a' },
      alice,
      'a1',
    );

    expect(outcome).toEqual({ ok: true, id: 'a-1', status: 'delivered' });
    for (const c of [bob, bob2]) {
      expect(c.messages).toMatchObject([
        { id: 'a-1', from: 'a', to: 'bob@b', fromUser: 'alice@a', user: 'alice@a', msg: 'psst' },
      ]);
    }
    expect(carol.messages).toEqual([]);
    expect(anonB.messages).toEqual([]);
    expect(b.users.messages.map((m) => m.id)).toEqual(['a-1']);
    // On the origin node: alice's other connection sees her sent message and its status; nobody else does.
    expect(alice2.messages).toMatchObject([{ id: 'a-1', to: 'bob@b', fromUser: 'alice@a' }]);
    expect(alice2.statuses).toMatchObject([{ id: 'a-1', status: 'delivered', fromUser: 'alice@a' }]);
    expect(anonA.messages).toEqual([]);
    expect(anonA.statuses).toEqual([]);
    // Nor in history: a stranger connecting later on either node finds nothing of it.
    expect(b.connections.connect('b5').history).toEqual([]);
    expect(b.connections.connect('b6', 'carol').history).toEqual([]);
    expect(a.connections.connect('a4').history).toEqual([]);
    expect(a.connections.connect('a5', 'alice').history).toMatchObject([{ id: 'a-1', status: 'delivered' }]);
    expect(b.inbox?.count('bob')).toBe(0);
  });

  it('keeps it in the inbox while the recipient is offline and hands it over once, on connect', async () => {
    const { a, b } = await pair();
    const anon = b.connections.connect('b0');
    expect(await send(a, { to: 'bob@b', msg: 'while you were out' }, alice)).toMatchObject({
      ok: true,
      status: 'delivered',
    });
    expect(anon.messages).toEqual([]);
    expect(b.inbox?.count('bob')).toBe(1);

    const first = b.connections.connect('b1', 'bob');
    expect(first.history).toMatchObject([{ id: 'a-1', msg: 'while you were out', fromUser: 'alice@a' }]);
    expect(b.inbox?.count('bob')).toBe(0);
    b.connections.disconnect('b1');
    // With the cursor it got, nothing again.
    const since = Math.max(...first.history.map((m) => m.seq));
    expect(b.connections.connect('b2', 'bob', since).history).toEqual([]);
  });

  it('is delivered exactly once across restarts of the home node with a data dir', async () => {
    const path = dir();
    const open = () => {
      const db = openDatabase(path);
      return {
        db,
        store: new SqliteMessageStore(db, DEFAULT_MESSAGE_STORE_SETTINGS, { ownsDb: false }),
        inbox: new SqliteInbox(db, { ownsDb: false }),
      };
    };
    const a = node('a', ['alice']);
    let disk = open();
    let b = node('b', ['bob'], { store: disk.store, inbox: disk.inbox });
    await b.join.execute([a.url]);
    // Node b goes down: the message waits in a's outbox.
    net.setDown(b.url, true);
    a.registry.suspect('b');
    expect(await send(a, { to: 'bob@b', msg: 'one' }, alice)).toMatchObject({ ok: true, status: 'queued' });

    const restart = async () => {
      b.courier.stop();
      net.unregister(b.url);
      await disk.store.close();
      disk.inbox.close();
      disk.db.close();
      disk = open();
      b = node('b', ['bob'], { store: disk.store, inbox: disk.inbox, incarnation: clock.now() + 1 });
    };
    await restart();
    net.setDown(b.url, false);
    a.registry.confirm(b.registry.self);
    for (let i = 0; i < 100 && a.courier.depth > 0; i++) await clock.advance(250);
    expect(a.courier.depth).toBe(0);
    expect(disk.inbox.count('bob')).toBe(1);

    // A retry of the same message after another restart is a duplicate: nothing new is kept.
    await restart();
    const again = { id: 'a-1', from: 'a', to: 'bob@b', msg: 'one', fromUser: 'alice@a' };
    expect(await b.receive.execute(again)).toEqual({ status: 'duplicate', id: 'a-1' });
    expect(disk.inbox.count('bob')).toBe(1);

    const bob = b.connections.connect('b1', 'bob');
    expect(bob.history.filter((m) => m.id === 'a-1')).toHaveLength(1);
    expect(disk.inbox.count('bob')).toBe(0);
    await restart();
    const since = Math.max(...bob.history.map((m) => m.seq));
    expect(b.connections.connect('b2', 'bob', since).history).toEqual([]);
    expect(b.connections.connect('b3').history).toEqual([]);
    await disk.store.close();
    disk.inbox.close();
    disk.db.close();
  });

  it('settles failed with unknown_user for a name the home node does not have', async () => {
    const { a, b } = await pair();
    const alice2 = a.connections.connect('a2', 'alice');
    const anonA = a.connections.connect('a3');
    const refused = await send(a, { to: 'nobody@b', msg: 'hello?' }, alice, 'a1');
    expect(refused).toMatchObject({ ok: false, id: 'a-1', error: { code: 'unknown_user' } });
    expect(alice2.statuses).toMatchObject([{ id: 'a-1', status: 'failed', error: { code: 'unknown_user' } }]);
    expect(anonA.statuses).toEqual([]);
    expect(b.users.messages).toEqual([]);

    // Sent while b is down: queued first, then the failed status once b answers.
    net.setDown(b.url, true);
    a.registry.suspect('b');
    expect(await send(a, { to: 'ghost@b', msg: 'later' }, alice, 'a1')).toMatchObject({ status: 'queued' });
    net.setDown(b.url, false);
    a.registry.confirm(b.registry.self);
    for (let i = 0; i < 100 && a.courier.depth > 0; i++) await clock.advance(250);
    await clock.advance(0);
    expect(alice2.statuses.at(-1)).toMatchObject({
      id: 'a-2',
      to: 'ghost@b',
      status: 'failed',
      error: { code: 'unknown_user' },
    });
    expect(a.connections.connect('a4', 'alice').history).toMatchObject([
      { id: 'a-1', status: 'failed' },
      { id: 'a-2', status: 'failed' },
    ]);
  });

  it('refuses an anonymous sender with auth_required and keeps nothing', async () => {
    const { a, b } = await pair();
    await expect(a.forward.execute({ to: 'bob@b', msg: 'who am I' })).rejects.toMatchObject({
      code: 'auth_required',
    });
    expect(a.courier.depth).toBe(0);
    expect(a.store.history()).toEqual([]);
    expect(b.store.history()).toEqual([]);
  });

  it('refuses with inbox_full when the offline recipient has as many waiting as kept, and takes nothing', async () => {
    const { a, b } = await pair({ inboxLimit: 2 });
    expect(await send(a, { to: 'bob@b', msg: '1' }, alice)).toMatchObject({ ok: true });
    expect(await send(a, { to: 'bob@b', msg: '2' }, alice)).toMatchObject({ ok: true });
    const full = await send(a, { to: 'bob@b', msg: '3' }, alice);
    expect(full).toMatchObject({ ok: false, error: { code: 'inbox_full' } });
    expect(b.inbox?.count('bob')).toBe(2);
    // Another user's inbox is not affected.
    expect(await send(a, { to: 'carol@b', msg: 'hi carol' }, alice)).toMatchObject({ ok: true });
    // Bob reads them: there is room again.
    expect(b.connections.connect('b1', 'bob').history.map((m) => m.msg)).toEqual(['1', '2']);
    b.connections.disconnect('b1');
    expect(await send(a, { to: 'bob@b', msg: '4' }, alice)).toMatchObject({ ok: true });
  });

  it('never hands a direct message to a plain node, and refuses a forged or misaddressed one', async () => {
    const a = node('a', ['alice']);
    const plain = createPlainMemoryNode(net, 'p');
    await a.announce.execute({ id: 'p', url: plain.url });
    expect(await send(a, { to: 'bob@p', msg: 'x' }, alice)).toMatchObject({
      ok: false,
      error: { code: 'direct_unsupported' },
    });
    expect(plain.received).toEqual([]);
    expect(await send(a, { to: 'bob@nowhere', msg: 'x' }, alice)).toMatchObject({
      ok: false,
      error: { code: 'unknown_node' },
    });
    await expect(
      a.forward.execute({ to: 'not an address@a', msg: 'x' }, undefined, alice),
    ).rejects.toMatchObject({ code: 'invalid_address' });

    const b = node('b', ['bob']);
    await b.join.execute([a.url]);
    // From a peer: `fromUser` must be a user of the origin node `from`; an address of another node is not b's.
    await expect(
      b.receive.execute({ id: 'x1', from: 'a', to: 'bob@b', msg: 'm', fromUser: 'alice@c' }),
    ).rejects.toMatchObject({ code: 'invalid_address' });
    await expect(b.receive.execute({ id: 'x2', from: 'a', to: 'bob@b', msg: 'm' })).rejects.toMatchObject({
      code: 'invalid_address',
    });
    await expect(
      b.receive.execute({ id: 'x3', from: 'a', to: 'bob@a', msg: 'm', fromUser: 'alice@a' }),
    ).rejects.toMatchObject({ code: 'unknown_user' });
    expect(b.store.history()).toEqual([]);
  });

  it('delivers between two users of one node, to the recipient and the sender only', async () => {
    const b = node('b', ['bob', 'carol']);
    const bob = b.connections.connect('b1', 'bob');
    const carol2 = b.connections.connect('c2', 'carol');
    const anon = b.connections.connect('x');
    const carol: Sender = { address: 'carol@b', displayName: 'carol@b' };
    expect(await send(b, { to: 'bob@b', msg: 'neighbour' }, carol, 'c1')).toMatchObject({
      ok: true,
      status: 'delivered',
    });
    expect(bob.messages).toMatchObject([{ msg: 'neighbour', fromUser: 'carol@b' }]);
    expect(carol2.messages).toMatchObject([{ msg: 'neighbour' }]);
    expect(anon.messages).toEqual([]);
    expect(await send(b, { to: 'zed@b', msg: '?' }, carol, 'c1')).toMatchObject({
      ok: false,
      error: { code: 'unknown_user' },
    });
  });
});
