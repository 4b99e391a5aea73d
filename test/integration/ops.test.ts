// What an operator sees, on real `meshchat node` processes on 127.0.0.1 (run `npm run build` first): health,
// Prometheus metrics that move with the messages, the mesh map (over HTTP and pushed on /ws), and the JSON
// audit log on stderr. Every wait polls for a condition with a deadline.
import { describe, expect, it, vi } from 'vitest';
import { detectionBoundMs, MEMBERSHIP_PROFILES } from '../../src/application/membership/settings.js';
import { CI_MARGIN_MS, cliNodes, POLL_MS, type RunningNode } from '../support/cli-nodes.js';
import { connectWsUser } from '../support/users.js';

const LAN = MEMBERSHIP_PROFILES.lan;
const DROP_DEADLINE_MS = detectionBoundMs(LAN) + CI_MARGIN_MS;
/** Anti-entropy asks one member per round: with 3 nodes, every view is in after a few rounds. */
const VIEWS_DEADLINE_MS = 8 * LAN.gossipIntervalMs + CI_MARGIN_MS;

const { users, startNode, crash, connectUser } = cliNodes();

async function get(url: string): Promise<Response> {
  return fetch(url, { signal: AbortSignal.timeout(2_000) });
}

/** The value of one sample in a Prometheus exposition, e.g. `meshchat_outbox_depth` or `x_total{a="b"}`. */
async function metric(node: RunningNode, sample: string): Promise<number> {
  const text = await (await get(`${node.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  if (line === undefined) throw new Error(`No sample ${sample} in /metrics of ${node.id}`);
  return Number(line.slice(sample.length + 1));
}

interface Graph {
  nodes: { id: string; url: string; state: string }[];
  links: { from: string; to: string }[];
}

const linksOf = (graph: Graph) => graph.links.map((l) => `${l.from}>${l.to}`).sort();
const statesOf = (graph: Graph) => Object.fromEntries(graph.nodes.map((n) => [n.id, n.state]));

describe('operations on real nodes', () => {
  it('metrics count the messages, users and peers; health goes from ok to degraded when the only peer crashes with messages waiting', async () => {
    const a = await startNode('ops-a');
    const b = await startNode('ops-b', { join: [a.url] });
    expect(await metric(a, 'meshchat_peers{state="alive"}')).toBe(1);
    const onA = await connectUser(a.url);
    await connectUser(b.url);
    expect(await metric(b, 'meshchat_connected_users{frontend="socketio"}')).toBe(1);

    for (let i = 0; i < 3; i++)
      expect(await onA.send('ops-b', `m${i}`)).toMatchObject({ status: 'delivered' });
    expect(await metric(a, 'meshchat_messages_accepted_total{source="user"}')).toBe(3);
    expect(await metric(a, 'meshchat_messages_delivered_total{where="remote"}')).toBe(3);
    expect(await metric(b, 'meshchat_messages_accepted_total{source="peer"}')).toBe(3);
    expect(await metric(b, 'meshchat_messages_delivered_total{where="local"}')).toBe(3);
    // Probes run every probe interval: the first answered one lands in the round-trip histogram.
    await vi.waitFor(
      async () => expect(await metric(a, 'meshchat_probe_rtt_seconds_count')).toBeGreaterThan(0),
      {
        timeout: 2 * LAN.probeIntervalMs + CI_MARGIN_MS,
        interval: POLL_MS,
      },
    );
    expect(await metric(a, 'process_resident_memory_bytes')).toBeGreaterThan(0);

    const ok = await get(`${a.url}/healthz`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({
      status: 'ok',
      reasons: [],
      phase: 'running',
      users: 1,
      peers: { alive: 1 },
    });

    await crash(b);
    // Sent while b is down: queued, counted, and in the outbox.
    expect(await onA.send('ops-b', 'later')).toMatchObject({ status: 'queued' });
    expect(await metric(a, 'meshchat_messages_queued_total')).toBe(1);
    expect(await metric(a, 'meshchat_outbox_depth')).toBe(1);
    await vi.waitFor(
      async () => {
        const degraded = await get(`${a.url}/healthz`);
        // Degraded but running: still ready for its users, so 200 (503 is for joining and leaving).
        expect(degraded.status).toBe(200);
        const body = (await degraded.json()) as { status: string; reasons: { code: string }[] };
        expect(body.status).toBe('degraded');
        expect(body.reasons.map((r) => r.code)).toContain('isolated');
      },
      { timeout: DROP_DEADLINE_MS, interval: POLL_MS },
    );
    await vi.waitFor(async () => expect(await metric(a, 'meshchat_peers{state="dead"}')).toBe(1), {
      timeout: DROP_DEADLINE_MS,
      interval: POLL_MS,
    });
  });

  it('the mesh map shows which node knows which, over HTTP and pushed on /ws, and a crashed node as dead', async () => {
    const a = await startNode('map-a');
    await startNode('map-b', { join: [a.url] });
    const c = await startNode('map-c', { join: [a.url] });
    const user = await connectWsUser(a.url);
    users.push(user);
    const meshFrames = () => user.frames.filter((f) => f.type === 'mesh') as unknown as Graph[];
    await vi.waitFor(() => expect(meshFrames().length).toBeGreaterThan(0), {
      timeout: CI_MARGIN_MS,
      interval: POLL_MS,
    });

    const full = ['map-a>map-b', 'map-a>map-c', 'map-b>map-a', 'map-b>map-c', 'map-c>map-a', 'map-c>map-b'];
    await vi.waitFor(
      async () => expect(linksOf((await (await get(`${a.url}/mesh`)).json()) as Graph)).toEqual(full),
      { timeout: VIEWS_DEADLINE_MS, interval: POLL_MS },
    );
    // The same map reaches the page without asking (pushed at most once a second).
    await vi.waitFor(() => expect(linksOf(meshFrames().at(-1) as Graph)).toEqual(full), {
      timeout: 2_000 + CI_MARGIN_MS,
      interval: POLL_MS,
    });

    await crash(c);
    await vi.waitFor(
      () => {
        const last = meshFrames().at(-1) as Graph;
        expect(statesOf(last)).toEqual({ 'map-a': 'alive', 'map-b': 'alive', 'map-c': 'dead' });
        // A dead node has no links of its own, and none leads to it (b's last list still named it).
        expect(linksOf(last)).toEqual(['map-a>map-b', 'map-b>map-a']);
      },
      { timeout: DROP_DEADLINE_MS, interval: POLL_MS },
    );
  });

  it('writes a JSON audit line on stderr for each membership change and each accepted message, never the text', async () => {
    const a = await startNode('log-a', { extra: ['--log-level', 'info'] });
    const b = await startNode('log-b', { join: [a.url] });
    const onB = await connectUser(b.url);
    expect(await onB.send('log-a', 'top secret words', 'ana')).toMatchObject({ status: 'delivered' });
    const audit = () =>
      a.proc
        .stderr()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((l) => l.audit === true);
    await vi.waitFor(() => expect(audit().some((l) => l.event === 'message')).toBe(true), {
      timeout: CI_MARGIN_MS,
      interval: POLL_MS,
    });
    expect(audit().find((l) => l.event === 'membership' && l.op === 'joined')).toMatchObject({
      node: { id: 'log-b', url: b.url },
    });
    expect(audit().find((l) => l.event === 'message')).toMatchObject({
      source: 'peer',
      from: 'log-b',
      to: 'log-a',
      user: 'ana',
      bytes: 16,
    });
    expect(a.proc.stderr()).not.toContain('top secret');

    await crash(b);
    await vi.waitFor(
      () => expect(audit().some((l) => l.event === 'membership' && l.op === 'dead')).toBe(true),
      {
        timeout: DROP_DEADLINE_MS,
        interval: POLL_MS,
      },
    );
  });
});
