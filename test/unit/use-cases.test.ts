import { beforeEach, describe, expect, it, vi } from 'vitest';
import { JoinFailed, PeerCallFailed } from '../../src/application/errors.js';
import { JoinNetwork } from '../../src/application/membership/join-network.js';
import type { PeerClient } from '../../src/application/ports/peer-client.js';
import { HopLimitReached, InvalidInput, UnknownNode } from '../../src/domain/errors.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { createMemoryNode, InMemoryNetwork, type MemoryNode } from '../fakes/in-memory-network.js';

const ids = (node: MemoryNode) =>
  node.registry
    .list()
    .map((n) => n.id)
    .sort();

describe('use cases on an in-memory network', () => {
  let net: InMemoryNetwork;
  let clock: FakeClock;
  let a: MemoryNode;
  let b: MemoryNode;
  let c: MemoryNode;

  beforeEach(async () => {
    net = new InMemoryNetwork();
    clock = new FakeClock();
    [a, b, c] = ['a', 'b', 'c'].map((id) => createMemoryNode(net, id, { clock })) as [
      MemoryNode,
      MemoryNode,
      MemoryNode,
    ];
    await b.join.execute([a.url]);
    await c.join.execute([b.url]);
  });

  describe('JoinNetwork', () => {
    it('learns every node a seed lists and announces itself to all of them', () => {
      for (const node of [a, b, c]) expect(ids(node)).toEqual(['a', 'b', 'c']);
    });

    it('reports who it joined and who was unreachable', async () => {
      net.setDown(c.url, true);
      const d = createMemoryNode(net, 'd', { clock });
      const result = await d.join.execute([a.url]);
      expect(result.joined).toEqual(['a', 'b']);
      expect(result.unreachable).toEqual(['c']);
      expect(result.seeds).toEqual([a.url]);
    });

    it('fails only when no seed answers', async () => {
      const d = createMemoryNode(net, 'd', { clock });
      const partly = await d.join.execute(['http://gone.mesh.test', a.url]);
      expect(partly.failedSeeds.map((f) => f.url)).toEqual(['http://gone.mesh.test']);
      const e = createMemoryNode(net, 'e', { clock });
      await expect(e.join.execute(['http://gone.mesh.test'])).rejects.toThrow(JoinFailed);
    });

    it('tells a seed that failed from one that refused or did not answer', async () => {
      const failures: Record<string, PeerCallFailed> = {
        'http://refuses.mesh.test': new PeerCallFailed('peer_rejected', 'refused', 401),
        'http://fails.mesh.test': new PeerCallFailed('peer_rejected', 'failed', 503),
        'http://busy.mesh.test': new PeerCallFailed('peer_rejected', 'rate limited', 429),
        'http://garbles.mesh.test': new PeerCallFailed('peer_bad_answer', 'not JSON'),
        'http://gone.mesh.test': new PeerCallFailed('peer_unreachable', 'gone'),
      };
      const peers = { listNodes: (url: string) => Promise.reject(failures[url]) } as unknown as PeerClient;
      const join = new JoinNetwork({ registry: createMemoryNode(net, 'd', { clock }).registry, peers });
      const lead = (seeds: string[]) =>
        join.execute(seeds.map((s) => `http://${s}.mesh.test`)).then(
          () => expect.unreachable(),
          (error: JoinFailed) => [error.message.split(', so')[0], error.seedFailed],
        );
      expect(await lead(['refuses', 'gone'])).toEqual(['No seed node took this node in', false]);
      expect(await lead(['gone'])).toEqual(['No seed node answered', false]);
      expect(await lead(['fails'])).toEqual([
        'The seed node failed (an error of the seed, not a refusal)',
        true,
      ]);
      expect(await lead(['fails', 'garbles'])).toEqual([
        'Every seed node failed (an error of the seed, not a refusal)',
        true,
      ]);
      // A rate-limited seed refused nothing: it may take the node once it is less busy.
      expect(await lead(['busy'])).toEqual([
        'The seed node failed (an error of the seed, not a refusal)',
        true,
      ]);
      expect(await lead(['refuses', 'fails'])).toEqual([
        'A seed node failed (an error of the seed, not a refusal)',
        true,
      ]);
    });

    it('merges two networks when a node joins through a seed of each', async () => {
      const x = createMemoryNode(net, 'x', { clock });
      const y = createMemoryNode(net, 'y', { clock });
      await y.join.execute([x.url]);
      const bridge = createMemoryNode(net, 'z', { clock });
      await bridge.join.execute([a.url, x.url]);
      expect(ids(bridge)).toEqual(['a', 'b', 'c', 'x', 'y', 'z']);
      expect(ids(x)).toContain('z');
      expect(ids(a)).toContain('z');
    });
  });

  describe('ForwardMessage', () => {
    it('stamps from, id and ts at the origin, delivers to the destination users, and shows it as sent at the origin', async () => {
      const outcome = await a.forward.execute({ to: 'c', msg: 'hello', user: 'ana' });
      expect(outcome).toEqual({ ok: true, id: 'a-1', status: 'delivered' });
      expect(c.users.messages).toEqual([
        {
          id: 'a-1',
          from: 'a',
          to: 'c',
          msg: 'hello',
          user: 'ana',
          ts: new Date(clock.now()).toISOString(),
          seq: 1,
        },
      ]);
      expect(a.users.messages).toMatchObject([{ id: 'a-1', from: 'a', to: 'c', status: 'queued' }]);
      expect(b.users.messages).toEqual([]);
    });

    it('delivers a message to its own node locally', async () => {
      await b.forward.execute({ to: 'b', msg: 'note to self' });
      expect(b.users.texts()).toEqual(['note to self']);
    });

    it('refuses a destination never seen, and queues for one that does not answer', async () => {
      expect(await a.forward.execute({ to: 'nobody', msg: 'x' })).toMatchObject({
        ok: false,
        error: { code: 'unknown_node' },
      });
      net.setDown(c.url, true);
      const outcome = await a.forward.execute({ to: 'c', msg: 'x' });
      expect(outcome).toMatchObject({ ok: true, status: 'queued' });
      expect(a.courier.depth).toBe(1);
    });

    it('refuses bad input with InvalidInput', async () => {
      await expect(a.forward.execute({ to: 'c', msg: 7 })).rejects.toThrow(InvalidInput);
      await expect(a.forward.execute({ to: '', msg: 'x' })).rejects.toThrow(InvalidInput);
    });
  });

  describe('ReceiveMessage', () => {
    it('pushes the same id to users once, however often it arrives', async () => {
      const message = { id: 'dup-1', from: 'a', to: 'b', msg: 'once', ts: '2026-01-01T00:00:00.000Z' };
      const outcomes = [];
      for (let i = 0; i < 3; i++) outcomes.push(await b.receive.execute(message));
      expect(outcomes.map((o) => o.status)).toEqual(['delivered', 'duplicate', 'duplicate']);
      expect(b.users.texts()).toEqual(['once']);
    });

    it('accepts the assignment echo client: msg alone goes to its own users', async () => {
      await b.receive.execute({ msg: 'eco' });
      expect(b.users.messages).toMatchObject([{ msg: 'eco', from: 'b', to: 'b' }]);
      expect(b.users.messages[0]?.id).toBeTruthy();
    });

    it('relays a message for another known node with hops counted', async () => {
      const outcome = await a.receive.execute({ from: 'plain', to: 'c', msg: 'via a' });
      expect(outcome.status).toBe('relayed');
      expect(c.users.messages).toMatchObject([{ from: 'plain', to: 'c', msg: 'via a' }]);
      expect(c.users.messages[0]).not.toHaveProperty('hops');
    });

    it('never relays a message already relayed twice, so stale lists cannot make it circle', async () => {
      await expect(a.receive.execute({ from: 'x', to: 'c', msg: 'loop', hops: 2 })).rejects.toThrow(
        HopLimitReached,
      );
      // Two nodes that each believe the other hosts "ghost" bounce a message at most twice.
      a.registry.announce({ id: 'ghost', url: b.url });
      b.registry.announce({ id: 'ghost', url: a.url });
      const callsBefore = net.calls;
      await expect(a.receive.execute({ to: 'ghost', msg: 'circle' })).rejects.toThrow('relayed 2 times');
      expect(net.calls - callsBefore).toBe(2);
    });

    it('refuses an unknown destination', async () => {
      await expect(a.receive.execute({ to: 'nobody', msg: 'x' })).rejects.toThrow(UnknownNode);
    });
  });

  describe('Leave', () => {
    it('removes the node from every list and is idempotent', async () => {
      const first = await c.leave.execute();
      expect(first).toEqual({ notified: ['a', 'b'], unreachable: [] });
      expect(ids(a)).toEqual(['a', 'b']);
      expect(ids(b)).toEqual(['a', 'b']);
      const callsBefore = net.calls;
      expect(await c.leave.execute()).toBe(first);
      expect(net.calls).toBe(callsBefore);
    });

    it('counts a peer that no longer lists the node as notified', async () => {
      a.registry.remove({ id: 'c', url: c.url });
      expect(await c.leave.execute()).toEqual({ notified: ['a', 'b'], unreachable: [] });
    });

    it('reports a peer that is down as unreachable', async () => {
      net.setDown(a.url, true);
      expect(await c.leave.execute()).toEqual({ notified: ['b'], unreachable: ['a'] });
    });

    it('gives up on a peer that never answers once the timeout passes', async () => {
      net.setHanging(a.url, true);
      const leaving = c.leave.execute();
      await vi.waitFor(() => expect(ids(b)).toEqual(['a', 'b']));
      await clock.advance(2_999);
      let settled = false;
      void leaving.then(() => {
        settled = true;
      });
      await clock.advance(0);
      expect(settled).toBe(false);
      await clock.advance(1);
      expect(await leaving).toEqual({ notified: ['b'], unreachable: ['a'] });
    });
  });
});
