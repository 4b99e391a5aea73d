import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/adapters/log/audit-log.js';
import { PromMetrics } from '../../src/adapters/metrics/prom-metrics.js';
import { CheckHealth, type NodePhase, RecentErrors } from '../../src/application/operations/check-health.js';
import { MAX_MESH_LINKS, MeshMap } from '../../src/application/operations/mesh-map.js';
import { fanOutTelemetry } from '../../src/application/operations/telemetry.js';
import type { Telemetry } from '../../src/application/ports/telemetry.js';
import { PeerRegistry } from '../../src/domain/peer-registry.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { createMemoryNode, InMemoryNetwork, type MemoryNode, memoryUrl } from '../fakes/in-memory-network.js';

const node = (id: string) => ({ id, url: memoryUrl(id) });

describe('MeshMap', () => {
  function registryOf(...ids: string[]): PeerRegistry {
    const registry = new PeerRegistry(node('a'), 1);
    for (const id of ids) registry.announce({ ...node(id), incarnation: 1 });
    return registry;
  }

  it('links this node to each member and each member to the live nodes its last list named', () => {
    const registry = registryOf('b', 'c');
    registry.buryUnknown(node('d'), 0);
    const map = new MeshMap(registry);
    map.viewReceived('b', [
      { ...node('a'), state: 'alive' },
      { ...node('b'), state: 'alive' },
      { ...node('c'), state: 'suspect' },
      { ...node('d'), state: 'dead' },
      { ...node('x') },
    ]);
    expect(map.snapshot()).toEqual({
      nodes: [
        { ...node('a'), state: 'alive' },
        { ...node('b'), state: 'alive' },
        { ...node('c'), state: 'alive' },
        { ...node('d'), state: 'dead' },
      ],
      // b's own entry and the dead d are not links; x is named but not on this map, so it is not drawn.
      links: [
        { from: 'a', to: 'b' },
        { from: 'a', to: 'c' },
        { from: 'b', to: 'a' },
        { from: 'b', to: 'c' },
      ],
    });
  });

  it('tells its listeners only when a view changed, and drops the view of a node that leaves the list', () => {
    const registry = registryOf('b', 'c');
    const map = new MeshMap(registry);
    let changes = 0;
    map.onChange(() => changes++);
    map.viewReceived('b', [node('a'), node('c')]);
    map.viewReceived('b', [node('c'), node('a')]);
    expect(changes).toBe(1);
    map.viewReceived('b', [node('a')]);
    expect(changes).toBe(2);
    registry.remove(node('b'), 5, 'left');
    expect(changes).toBe(3);
    const graph = map.snapshot();
    expect(graph.links).toEqual([{ from: 'a', to: 'c' }]);
    expect(graph.nodes).toContainEqual({ ...node('b'), state: 'left' });
  });

  it('keeps only links between current members: a member that dies loses its links and every link to it', () => {
    const registry = registryOf('b', 'c');
    const map = new MeshMap(registry);
    map.viewReceived('b', [node('a'), node('c')]);
    map.viewReceived('c', [node('a'), node('b')]);
    registry.declareDead('c', 5);
    const graph = map.snapshot();
    expect(graph.links).toEqual([
      { from: 'a', to: 'b' },
      { from: 'b', to: 'a' },
    ]);
    expect(graph.nodes).toContainEqual({ ...node('c'), state: 'dead' });
  });

  it('keeps no more than MAX_MESH_LINKS ids over all views, whatever the peers send', () => {
    const registry = new PeerRegistry(node('a'), 1);
    const ids = Array.from({ length: 200 }, (_, i) => `n${String(i).padStart(3, '0')}`);
    for (const id of ids) registry.announce({ ...node(id), incarnation: 1 });
    const map = new MeshMap(registry);
    const made = Array.from({ length: 5_000 }, (_, i) => node(`fake-${i}`));
    // 200 members each listing every member (199 others + a) and 5,000 ids nobody lists: only members count.
    for (const id of ids) map.viewReceived(id, [node('a'), ...ids.map(node), ...made]);
    const links = map.snapshot().links;
    expect(links.length).toBe(MAX_MESH_LINKS);
    expect(links.some((l) => l.to.startsWith('fake-'))).toBe(false);
  });

  it('ignores a list from a node that is not a member', () => {
    const map = new MeshMap(registryOf('b'));
    map.viewReceived('z', [node('a'), node('b')]);
    expect(map.snapshot().links).toEqual([{ from: 'a', to: 'b' }]);
  });

  it('learns the views from real anti-entropy rounds on the in-memory network', async () => {
    const net = new InMemoryNetwork();
    const late: Partial<Telemetry> = {};
    const a = createMemoryNode(net, 'a', {
      telemetry: fanOutTelemetry([late], { report: (error) => expect.unreachable(String(error)) }),
    });
    const b = createMemoryNode(net, 'b');
    const c = createMemoryNode(net, 'c');
    await b.join.execute([a.url]);
    await c.join.execute([a.url]);
    const map = new MeshMap(a.registry);
    late.viewReceived = (source, reports) => map.viewReceived(source, reports);
    // Each round pulls from one random member; a few rounds reach both.
    for (let round = 0; round < 20 && map.snapshot().links.length < 6; round++)
      await a.membership.antiEntropy.round();
    expect(new Set(map.snapshot().links.map((l) => `${l.from}>${l.to}`))).toEqual(
      new Set(['a>b', 'a>c', 'b>a', 'b>c', 'c>a', 'c>b']),
    );
  });
});

describe('fanOutTelemetry', () => {
  it('tells every part, and a part that throws is reported without stopping the others', () => {
    const errors: unknown[] = [];
    const seen: string[] = [];
    const telemetry = fanOutTelemetry(
      [
        {
          copyQueued: () => {
            throw new Error('broken part');
          },
        },
        { copyQueued: (node) => seen.push(node) },
      ],
      { report: (error) => void errors.push(error) },
    );
    telemetry.copyQueued('b');
    telemetry.probed('b', true, 1);
    expect(seen).toEqual(['b']);
    expect(errors).toEqual([new Error('broken part')]);
  });
});

describe('CheckHealth', () => {
  function setup(options: { phase?: NodePhase; outbox?: number; members?: string[] } = {}) {
    const clock = new FakeClock();
    const registry = new PeerRegistry(node('a'), 1);
    for (const id of options.members ?? []) registry.announce({ ...node(id), incarnation: 1 });
    const errors = new RecentErrors();
    const health = new CheckHealth(
      {
        registry,
        clock,
        phase: () => options.phase ?? 'running',
        outboxDepth: () => options.outbox ?? 0,
        users: () => 0,
        errors,
        bornAt: clock.now(),
      },
      { outboxBacklog: 10, errorWindowMs: 60_000 },
    );
    const codes = () => health.execute().reasons.map((r) => r.code);
    return { clock, registry, errors, health, codes };
  }

  it('counts the other nodes by state from the registry', () => {
    const { registry, health, clock } = setup({ members: ['b', 'c', 'd'] });
    registry.suspect('b');
    registry.declareDead('c', clock.now());
    registry.remove(node('d'), clock.now(), 'left');
    expect(health.execute().peers).toEqual({ alive: 0, suspect: 1, dead: 1, left: 1 });
  });

  it('is ok for a lone node that never had peers, and for one whose peers left', () => {
    const { health, registry } = setup({ members: ['b'] });
    registry.remove(node('b'), 0, 'left');
    expect(health.execute()).toMatchObject({ status: 'ok', reasons: [], peers: { alive: 0, left: 1 } });
  });

  it('is degraded while joining and while leaving', () => {
    expect(setup({ phase: 'starting' }).codes()).toEqual(['starting']);
    expect(setup({ phase: 'stopping' }).codes()).toEqual(['stopping']);
  });

  it('tells a few silent peers from having none that answers', () => {
    const { registry, codes, clock } = setup({ members: ['b', 'c'] });
    registry.suspect('b');
    expect(codes()).toEqual(['peers_suspect']);
    registry.declareDead('c', clock.now());
    expect(codes()).toEqual(['isolated']);
  });

  it('alone with only dead peers remembered, is isolated only while messages wait for them', () => {
    const idle = setup({ members: ['b'] });
    idle.registry.declareDead('b', 0);
    expect(idle.codes()).toEqual([]);
    const waiting = setup({ members: ['b'], outbox: 3 });
    waiting.registry.declareDead('b', 0);
    expect(waiting.codes()).toEqual(['isolated']);
    expect(waiting.health.execute().reasons[0]?.message).toBe(
      'No other node answers (0 suspect, 1 found dead); 3 messages wait in the outbox.',
    );
    const one = setup({ members: ['b'], outbox: 1 });
    one.registry.declareDead('b', 0);
    expect(one.health.execute().reasons[0]?.message).toBe(
      'No other node answers (0 suspect, 1 found dead); 1 message waits in the outbox.',
    );
  });

  it('reports a backed-up outbox from the limit on', () => {
    expect(setup({ outbox: 9 }).codes()).toEqual([]);
    expect(setup({ outbox: 10 }).codes()).toEqual(['outbox_backlog']);
  });

  it('reports internal errors for the length of the window only', async () => {
    const { errors, clock, codes, health } = setup();
    errors.note(clock.now());
    errors.note(clock.now());
    expect(health.execute().reasons[0]?.message).toMatch(/^2 internal error/);
    await clock.advance(60_001);
    expect(codes()).toEqual([]);
  });
});

/** One sample of a metric, as prom-client reports it. */
async function sample(
  metrics: PromMetrics,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const all = await metrics.registry.getMetricsAsJSON();
  // A histogram's samples (`_count`, `_sum`, `_bucket`) belong to the family without the suffix.
  const metric = all.find((m) => m.name === name || m.name === name.replace(/_(count|sum|bucket)$/, ''));
  if (!metric) throw new Error(`no metric ${name}`);
  const values = metric.values as { value: number; labels: Record<string, unknown>; metricName?: string }[];
  const found = values.find(
    (v) =>
      (v.metricName ?? name) === name &&
      Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want),
  );
  return found?.value ?? 0;
}

describe('PromMetrics on the in-memory network', () => {
  async function pair() {
    const clock = new FakeClock();
    const net = new InMemoryNetwork({ clock });
    let a: MemoryNode | undefined;
    const metrics = new PromMetrics({
      registry: { countByState: () => (a as MemoryNode).registry.countByState() },
      outboxDepth: () => a?.courier.depth ?? 0,
      users: () => ({ socketio: 0, ws: 0 }),
      processMetrics: false,
    });
    a = createMemoryNode(net, 'a', { clock, telemetry: metrics, delivery: { ttlMs: 5_000 } });
    const bMetrics = new PromMetrics({
      registry: new PeerRegistry(node('b'), 1),
      outboxDepth: () => 0,
      users: () => ({ socketio: 0, ws: 0 }),
      processMetrics: false,
    });
    const b = createMemoryNode(net, 'b', { clock, telemetry: bMetrics });
    await b.join.execute([a.url]);
    return { clock, net, a, b, metrics, bMetrics };
  }

  it('counts a message accepted from a user, delivered remotely, and accepted and delivered locally by the peer', async () => {
    const { a, b, metrics, bMetrics } = await pair();
    expect(await a.forward.execute({ to: 'b', msg: 'hello' })).toMatchObject({
      ok: true,
      status: 'delivered',
    });
    expect(await sample(metrics, 'meshchat_messages_accepted_total', { source: 'user' })).toBe(1);
    expect(await sample(metrics, 'meshchat_messages_delivered_total', { where: 'remote' })).toBe(1);
    expect(await sample(metrics, 'meshchat_messages_delivered_total', { where: 'local' })).toBe(0);
    expect(await sample(bMetrics, 'meshchat_messages_accepted_total', { source: 'peer' })).toBe(1);
    expect(await sample(bMetrics, 'meshchat_messages_delivered_total', { where: 'local' })).toBe(1);
    // A duplicate is neither accepted nor delivered again.
    const [entry] = b.users.messages;
    await b.receive.execute({ ...entry, msg: 'hello' } as never);
    expect(await sample(bMetrics, 'meshchat_messages_accepted_total', { source: 'peer' })).toBe(1);
  });

  it('counts a relay per call, apart from messages for its own users, and a broadcast once with a copy per node', async () => {
    const { clock, net, a, metrics } = await pair();
    const c = createMemoryNode(net, 'c', { clock });
    await c.join.execute([a.url]);
    for (let i = 0; i < 3; i++) {
      expect(await a.receive.execute({ id: 'r-1', from: 'b', to: 'c', msg: 'via a' })).toMatchObject({
        status: 'relayed',
      });
    }
    // The destination de-duplicates: its users saw it once; the relaying node counts each call it took.
    expect(c.users.texts()).toEqual(['via a']);
    expect(await sample(metrics, 'meshchat_messages_accepted_total', { source: 'relay' })).toBe(3);
    expect(await sample(metrics, 'meshchat_messages_accepted_total', { source: 'peer' })).toBe(0);
    expect(await a.forward.execute({ to: '*', msg: 'all' })).toMatchObject({ ok: true, status: 'delivered' });
    expect(await sample(metrics, 'meshchat_messages_accepted_total', { source: 'user' })).toBe(1);
    expect(await sample(metrics, 'meshchat_messages_delivered_total', { where: 'remote' })).toBe(3 + 2);
  });

  it('counts a copy queued for a node found dead, then expired when its time to live runs out', async () => {
    const { a, clock, metrics } = await pair();
    a.registry.buryUnknown({ id: 'c', url: memoryUrl('c') }, clock.now());
    expect(await a.forward.execute({ to: 'c', msg: 'later' })).toMatchObject({ ok: true, status: 'queued' });
    expect(await sample(metrics, 'meshchat_messages_queued_total')).toBe(1);
    expect(await sample(metrics, 'meshchat_outbox_depth')).toBe(1);
    expect(await sample(metrics, 'meshchat_peers', { state: 'dead' })).toBe(1);
    for (let i = 0; i < 10 && (await sample(metrics, 'meshchat_messages_expired_total')) === 0; i++)
      await clock.advance(1_000);
    expect(await sample(metrics, 'meshchat_messages_expired_total')).toBe(1);
    expect(await sample(metrics, 'meshchat_outbox_depth')).toBe(0);
  });

  it('counts probes by result and observes the round-trip time of answered ones', async () => {
    const { a, metrics } = await pair();
    await a.membership.prober.direct(node('b'));
    await a.membership.prober.direct(node('nobody'));
    expect(await sample(metrics, 'meshchat_probes_total', { result: 'answered' })).toBe(1);
    expect(await sample(metrics, 'meshchat_probes_total', { result: 'silent' })).toBe(1);
    expect(await sample(metrics, 'meshchat_probe_rtt_seconds_count')).toBe(1);
  });
});

describe('AuditLog', () => {
  function logged() {
    const lines: Record<string, unknown>[] = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    return { lines, log: pino({ level: 'info' }, stream) };
  }

  it('writes one line per membership change, saying what happened to which node', async () => {
    const { lines, log } = logged();
    const registry = new PeerRegistry(node('a'), 1);
    new AuditLog(log, registry);
    registry.announce({ ...node('b'), incarnation: 1 });
    registry.suspect('b');
    registry.confirm({ ...node('b'), incarnation: 1 });
    registry.declareDead('b', 10);
    registry.announce({ ...node('c'), incarnation: 1 });
    registry.remove(node('c'), 11, 'left');
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines.map((l) => [l.event, l.op, (l.node as { id: string }).id])).toEqual([
      ['membership', 'joined', 'b'],
      ['membership', 'suspect', 'b'],
      ['membership', 'alive', 'b'],
      ['membership', 'dead', 'b'],
      ['membership', 'joined', 'c'],
      ['membership', 'left', 'c'],
    ]);
    expect(lines.every((l) => l.audit === true && l.level === 30 && typeof l.time === 'number')).toBe(true);
    expect(lines[3]?.msg).toBe('node b was found dead');
  });

  it('writes one line per accepted message with who, where and how big, never the text', async () => {
    const { lines, log } = logged();
    const audit = new AuditLog(log, new PeerRegistry(node('a'), 1));
    audit.messageAccepted(
      { id: 'm-1', from: 'b', to: 'a', msg: 'secret plans ✓', ts: '2026-01-01T00:00:00.000Z', user: 'ana' },
      'peer',
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      audit: true,
      event: 'message',
      source: 'peer',
      id: 'm-1',
      from: 'b',
      to: 'a',
      user: 'ana',
      bytes: 16,
    });
    expect(JSON.stringify(lines[0])).not.toContain('secret');
  });
});
