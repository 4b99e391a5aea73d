import { afterEach, describe, expect, it } from 'vitest';
import { detectionBoundMs, MEMBERSHIP_PROFILES } from '../../src/application/membership/settings.js';
import { FakeClock } from '../fakes/fake-clock.js';
import {
  createMemoryNode,
  createPlainMemoryNode,
  InMemoryNetwork,
  type MemoryNode,
} from '../fakes/in-memory-network.js';
import { seededRandom } from '../fakes/seeded-random.js';

const LAN = MEMBERSHIP_PROFILES.lan;
const BOUND = detectionBoundMs(LAN);
const STEP_MS = 100;

/** A network of memory nodes on one fake clock, joined through the first node, membership running. */
class Mesh {
  readonly clock = new FakeClock();
  readonly random = seededRandom(479);
  readonly net = new InMemoryNetwork({ clock: this.clock, random: this.random });
  readonly nodes: MemoryNode[] = [];
  elapsed = 0;

  add(id: string): MemoryNode {
    const node = createMemoryNode(this.net, id, {
      clock: this.clock,
      random: seededRandom(this.nodes.length + 1),
      incarnation: 1,
    });
    this.nodes.push(node);
    return node;
  }

  static async of(count: number, prefix = 'n'): Promise<Mesh> {
    const mesh = new Mesh();
    const nodes = Array.from({ length: count }, (_, i) => mesh.add(`${prefix}${String(i).padStart(2, '0')}`));
    for (const node of nodes.slice(1)) await node.join.execute([(nodes[0] as MemoryNode).url]);
    for (const node of nodes) node.membership.start();
    return mesh;
  }

  /** Moves the fake clock in small steps until `done` holds or `limitMs` passes; returns the time taken. */
  async runUntil(done: () => boolean, limitMs: number): Promise<number> {
    const start = this.elapsed;
    while (!done()) {
      if (this.elapsed - start >= limitMs) return Number.POSITIVE_INFINITY;
      await this.clock.advance(STEP_MS);
      this.elapsed += STEP_MS;
    }
    return this.elapsed - start;
  }

  async run(ms: number, onStep: () => void = () => {}): Promise<void> {
    for (let t = 0; t < ms; t += STEP_MS) {
      await this.clock.advance(STEP_MS);
      this.elapsed += STEP_MS;
      onStep();
    }
  }

  /** Crashes a node: it stops answering (connection refused) and its own loops stop. */
  crash(node: MemoryNode): void {
    this.net.setDown(node.url, true);
    void node.membership.stop();
  }

  stop(): void {
    for (const node of this.nodes) void node.membership.stop();
  }
}

const ids = (node: MemoryNode) =>
  node.registry
    .list()
    .map((m) => m.id)
    .sort();
const idsOf = (nodes: readonly { id: string }[]) => nodes.map((n) => n.id).sort();

describe('membership on the in-memory network (fake clock)', () => {
  let mesh: Mesh | undefined;
  afterEach(() => mesh?.stop());

  it('20 nodes, 5 crash: every survivor drops exactly those 5 within the detection bound, and they stay dropped', async () => {
    mesh = await Mesh.of(20);
    const all = mesh.nodes;
    expect(all.every((n) => n.registry.size === 20)).toBe(true);
    const pick = seededRandom(20);
    const crashed = new Set<MemoryNode>();
    while (crashed.size < 5) crashed.add(all[Math.floor(pick() * all.length)] as MemoryNode);
    const survivors = all.filter((n) => !crashed.has(n));
    const expected = idsOf(survivors);

    const droppedAt = new Map<string, number>();
    for (const node of crashed) mesh.crash(node);
    const took = await mesh.runUntil(() => {
      for (const s of survivors)
        if (!droppedAt.has(s.id) && ids(s).join() === expected.join())
          droppedAt.set(s.id, mesh?.elapsed ?? 0);
      return droppedAt.size === survivors.length;
    }, BOUND);

    expect(took).toBeLessThanOrEqual(BOUND);
    // Gossip from nodes that still knew them, and plain time, bring none of them back.
    await mesh.run(60_000);
    for (const s of survivors) expect(ids(s)).toEqual(expected);
    for (const s of survivors)
      for (const c of crashed) expect(s.registry.tombstone(c.id)?.reason).toBe('dead');
  });

  it('with 10% of calls lost, no live node is ever declared dead over ten minutes', async () => {
    mesh = await Mesh.of(20);
    const removed: string[] = [];
    let suspicions = 0;
    for (const node of mesh.nodes) {
      node.registry.onChange((change) => {
        if (change.kind === 'removed') removed.push(`${node.id} dropped ${change.node.id}`);
        if (change.node.state === 'suspect') suspicions++;
      });
    }
    mesh.net.setDropRate(0.1);
    await mesh.run(10 * 60_000);

    expect(mesh.net.dropped).toBeGreaterThan(1_000);
    // Lost probes did make nodes suspect (the path was exercised), and every suspicion was cleared in time.
    expect(suspicions).toBeGreaterThan(0);
    expect(removed).toEqual([]);
    for (const node of mesh.nodes) expect(node.registry.size).toBe(20);
  });

  it('a 10|10 partition: each side drops the other, and after it heals every list holds all 20 again', async () => {
    mesh = await Mesh.of(20);
    const left = mesh.nodes.slice(0, 10);
    const right = mesh.nodes.slice(10);
    mesh.net.partition(
      left.map((n) => n.url),
      right.map((n) => n.url),
    );
    // Half the ring at once takes longer than one crash: each watcher moves past the suspects one period at a time.
    const split = await mesh.runUntil(
      () =>
        left.every((n) => ids(n).join() === idsOf(left).join()) &&
        right.every((n) => ids(n).join() === idsOf(right).join()),
      30_000,
    );
    expect(split).toBeLessThan(30_000);

    mesh.net.heal();
    const everyone = idsOf(mesh.nodes).join();
    const healed = await mesh.runUntil(
      () => mesh?.nodes.every((n) => ids(n).join() === everyone) ?? false,
      60_000,
    );
    expect(healed).toBeLessThan(60_000);
    // ...and they agree on more than ids: each node's view of every other carries that node's own incarnation.
    for (const viewer of mesh.nodes) {
      for (const other of mesh.nodes) {
        expect(viewer.registry.get(other.id)?.incarnation).toBe(other.registry.self.incarnation);
      }
    }
  });

  it('a node that joins two separate networks merges them into one', async () => {
    mesh = new Mesh();
    const a = ['a1', 'a2', 'a3', 'a4'].map((id) => mesh?.add(id) as MemoryNode);
    const b = ['b1', 'b2', 'b3'].map((id) => mesh?.add(id) as MemoryNode);
    for (const node of a.slice(1)) await node.join.execute([(a[0] as MemoryNode).url]);
    for (const node of b.slice(1)) await node.join.execute([(b[0] as MemoryNode).url]);
    const bridge = mesh.add('j');
    await bridge.join.execute([(a[0] as MemoryNode).url, (b[0] as MemoryNode).url]);
    for (const node of mesh.nodes) node.membership.start();

    const everyone = idsOf(mesh.nodes).join();
    const took = await mesh.runUntil(
      () => mesh?.nodes.every((n) => ids(n).join() === everyone) ?? false,
      30_000,
    );
    expect(took).toBeLessThan(30_000);
  });

  it('learns a plain node through gossip, never drops it while it answers, and drops it (plain nodes too) once it is gone', async () => {
    mesh = await Mesh.of(6);
    const plain = createPlainMemoryNode(mesh.net, 'plain');
    // The plain node joins the assignment's way: GET /nodes from one node, then PUT itself to each... but only to
    // the first node here, so the others must learn it through anti-entropy.
    const first = mesh.nodes[0] as MemoryNode;
    for (const node of await first.api.listNodes(false)) plain.nodes.set(node.id, node.url);
    first.api.announce({ id: plain.id, url: plain.url });

    const learned = await mesh.runUntil(
      () => mesh?.nodes.every((n) => n.registry.get('plain')?.state === 'alive') ?? false,
      20_000,
    );
    expect(learned).toBeLessThan(20_000);
    let dropped = false;
    for (const node of mesh.nodes) node.registry.onChange((c) => (dropped ||= c.kind === 'removed'));
    await mesh.run(60_000);
    expect(dropped).toBe(false);

    // One meshchat node crashes: the others drop it and tell the plain node too, with the base protocol's DELETE.
    const victim = mesh.nodes[3] as MemoryNode;
    mesh.crash(victim);
    const told = await mesh.runUntil(() => !plain.nodes.has(victim.id), BOUND);
    expect(told).toBeLessThanOrEqual(BOUND);

    expect(plain.extensionCalls()).toBe(0);
    mesh.net.setDown(plain.url, true);
    const gone = await mesh.runUntil(
      () => mesh?.nodes.every((n) => n === victim || !n.registry.get('plain')) ?? false,
      BOUND,
    );
    expect(gone).toBeLessThanOrEqual(BOUND);
  });

  it('a node found dead while it hung comes back with a newer incarnation once it answers again', async () => {
    mesh = await Mesh.of(8);
    const sleeper = mesh.nodes[4] as MemoryNode;
    const others = mesh.nodes.filter((n) => n !== sleeper);
    const before = sleeper.registry.self.incarnation;
    mesh.net.setHanging(sleeper.url, true);
    const buried = await mesh.runUntil(
      () => others.every((n) => !n.registry.get(sleeper.id)),
      BOUND + 2 * LAN.probeTimeoutMs,
    );
    expect(buried).toBeLessThan(Number.POSITIVE_INFINITY);

    mesh.net.setHanging(sleeper.url, false);
    const back = await mesh.runUntil(
      () => others.every((n) => n.registry.get(sleeper.id)?.state === 'alive'),
      30_000,
    );
    expect(back).toBeLessThan(30_000);
    expect(sleeper.registry.self.incarnation).toBeGreaterThan(before);
    for (const n of others)
      expect(n.registry.get(sleeper.id)?.incarnation).toBe(sleeper.registry.self.incarnation);
  });

  it('a node that hangs for less than the suspicion timeout is suspected, then cleared, never dropped', async () => {
    mesh = await Mesh.of(8);
    const slow = mesh.nodes[2] as MemoryNode;
    const others = mesh.nodes.filter((n) => n !== slow);
    let dropped = false;
    for (const n of others) n.registry.onChange((c) => (dropped ||= c.kind === 'removed'));
    mesh.net.setHanging(slow.url, true);
    const suspected = await mesh.runUntil(
      () => others.some((n) => n.registry.get(slow.id)?.state === 'suspect'),
      BOUND,
    );
    expect(suspected).toBeLessThan(Number.POSITIVE_INFINITY);
    mesh.net.setHanging(slow.url, false);
    await mesh.run(LAN.suspicionTimeoutMs + 3 * LAN.probeIntervalMs);
    for (const n of others) expect(n.registry.get(slow.id)?.state).toBe('alive');
    expect(dropped).toBe(false);
  });

  it('a plain node restarted at a new URL (it announces once, and is refused while its old record lives) is moved everywhere', async () => {
    mesh = await Mesh.of(5);
    const first = mesh.nodes[0] as MemoryNode;
    const old = createPlainMemoryNode(mesh.net, 'plain');
    for (const node of mesh.nodes) await node.api.announce({ id: old.id, url: old.url });
    // It restarts elsewhere: the old address goes silent, and the new one joins the assignment's way.
    mesh.net.setDown(old.url, true);
    const fresh = createPlainMemoryNode(mesh.net, 'plain', 'http://plain-restarted.mesh.test');
    const refused: string[] = [];
    for (const node of await first.api.listNodes(false))
      if (node.id !== fresh.id) fresh.nodes.set(node.id, node.url);
    for (const node of mesh.nodes) {
      try {
        await node.api.announce({ id: fresh.id, url: fresh.url });
      } catch (error) {
        refused.push((error as { code?: string }).code ?? 'error');
      }
    }
    expect(refused.length).toBeGreaterThan(0);
    expect(new Set(refused)).toEqual(new Set(['stale_record']));
    const moved = await mesh.runUntil(
      () => mesh?.nodes.every((n) => n.registry.get('plain')?.url === fresh.url) ?? false,
      BOUND,
    );
    expect(moved).toBeLessThanOrEqual(BOUND);
  });

  it('a forged record (another URL, a higher incarnation) is refuted by the node itself and undone everywhere', async () => {
    mesh = await Mesh.of(6);
    const victim = mesh.nodes[2] as MemoryNode;
    const evil = 'http://evil.mesh.test';
    // The forger answers probes for the victim's id at its own address.
    mesh.net.register(evil, {
      listNodes: () => [],
      getNode: () => ({ url: evil }),
      announce: () => {},
      withdraw: async () => {},
      receive: async () => ({}),
      receiveBatch: async () => [],
      probe: async () => ({ alive: true }),
      listUsers: () => ({ users: [], version: 0 }),
    });
    const forged = victim.registry.self.incarnation + 5;
    const target = mesh.nodes[0] as MemoryNode;
    await target.api.announce({ id: victim.id, url: evil, incarnation: forged });
    expect(target.registry.get(victim.id)?.url).toBe(evil);
    // A far-future incarnation is refused outright.
    const farAhead = mesh.clock.now() + 2 * 86_400_000;
    expect(() => target.announce.execute({ id: victim.id, url: evil, incarnation: farAhead })).toThrow(
      'more than a day ahead',
    );

    const undone = await mesh.runUntil(
      () => mesh?.nodes.every((n) => n === victim || n.registry.get(victim.id)?.url === victim.url) ?? false,
      30_000,
    );
    expect(undone).toBeLessThan(30_000);
    expect(victim.registry.self.incarnation).toBeGreaterThan(forged);
    // No other node took the forged move from gossip while the victim still answered at its own address.
    for (const n of mesh.nodes)
      if (n !== victim) expect(n.registry.get(victim.id)?.incarnation).toBe(victim.registry.self.incarnation);
  });

  it('a node restarted while the network was unreachable keeps trying the nodes it remembers and rejoins', async () => {
    mesh = await Mesh.of(4);
    const remembered = mesh.nodes.map((n) => ({
      id: n.id,
      url: n.url,
      incarnation: n.registry.self.incarnation,
    }));
    for (const n of mesh.nodes) mesh.net.setDown(n.url, true);
    const back = mesh.add('restarted');
    const joined = await back.join.execute(
      [],
      remembered.map((n) => n.url),
    );
    expect(joined.seeds).toEqual([]);
    back.membership.start(remembered);
    expect(back.registry.tombstones().map((t) => t.id)).toEqual(remembered.map((n) => n.id));
    await mesh.run(10_000);
    for (const n of mesh.nodes) if (n !== back) mesh.net.setDown(n.url, false);
    const everyone = idsOf(mesh.nodes).join();
    const rejoined = await mesh.runUntil(
      () => mesh?.nodes.every((n) => ids(n).join() === everyone) ?? false,
      60_000,
    );
    expect(rejoined).toBeLessThan(60_000);
  });

  it('many reports that this node is down cost one refutation, not one per report', async () => {
    mesh = new Mesh();
    const quiet = { probeIntervalMs: 3_600_000, gossipIntervalMs: 3_600_000, reconnectIntervalMs: 3_600_000 };
    const nodes = ['q0', 'q1', 'q2', 'q3'].map((id) =>
      createMemoryNode(mesh?.net as InMemoryNetwork, id, {
        clock: mesh?.clock,
        membership: quiet,
        incarnation: 1,
      }),
    );
    for (const node of nodes.slice(1)) await node.join.execute([(nodes[0] as MemoryNode).url]);
    const me = nodes[0] as MemoryNode;
    const calls = mesh.net.calls;
    const reports = Array.from({ length: 200 }, (_, i) => ({
      id: me.id,
      url: me.url,
      incarnation: 1 + i,
      state: 'dead' as const,
    }));
    me.membership.antiEntropy.merge(reports);
    me.membership.antiEntropy.merge(reports);
    await mesh.run(500);
    expect(me.registry.self.incarnation).toBe(201);
    expect(mesh.net.calls - calls).toBe(3);
    for (const n of nodes.slice(1)) expect(n.registry.get(me.id)?.incarnation).toBe(201);
  });
});
