// The membership protocol (failure detection, anti-entropy, remembered nodes) between real `meshchat node`
// processes on 127.0.0.1 and random ports, with crashes made by SIGKILL. Run `npm run build` first: these
// tests run dist/cli.js. Every wait polls for a condition with a deadline derived from the LAN profile.
import { describe, expect, it, vi } from 'vitest';
import { detectionBoundMs, MEMBERSHIP_PROFILES } from '../../src/application/membership/settings.js';
import { startPlainNode } from '../interop/plain-node/spawn.js';
import { CI_MARGIN_MS, cliNodes, POLL_MS, type RunningNode } from '../support/cli-nodes.js';
import { tempDataDir } from '../support/processes.js';

const LAN = MEMBERSHIP_PROFILES.lan;
/** How long any node may keep listing a crashed member (6 s on the LAN profile). */
const BOUND_MS = detectionBoundMs(LAN);
/** Every survivor drops a crashed node by then. */
const DROP_DEADLINE_MS = BOUND_MS + CI_MARGIN_MS;
/** Two crashes at once: a DELETE may be lost with a dead node, so allow one more gossip round. */
const DOUBLE_DROP_DEADLINE_MS = BOUND_MS + LAN.gossipIntervalMs + CI_MARGIN_MS;
/** Separate networks merged by one node: a few gossip rounds until everyone has pulled everyone. */
const CONVERGE_DEADLINE_MS = 6 * LAN.gossipIntervalMs + CI_MARGIN_MS;

interface Listed {
  id: string;
  url: string;
  incarnation?: number;
  state?: string;
}

const { plainNodes, dataDirs, startNode: start, crash, connectUser } = cliNodes();
/** Starts `meshchat node`, joined to `join`, with `extra` flags. */
const startNode = (id: string, join: string[] = [], extra: string[] = []) => start(id, { join, extra });

async function listOf(url: string): Promise<Listed[]> {
  const response = await fetch(`${url}/nodes`, { signal: AbortSignal.timeout(2_000) });
  expect(response.ok).toBe(true);
  return (await response.json()) as Listed[];
}

const idsOf = (list: { id: string }[]) => list.map((n) => n.id).sort();

async function idsListedBy(url: string): Promise<string[]> {
  return idsOf(await listOf(url));
}

/** Polls until every node in `nodes` lists exactly `ids`; returns how long that took. */
async function waitUntilAllList(nodes: RunningNode[], ids: string[], timeoutMs: number): Promise<number> {
  const started = Date.now();
  const want = [...ids].sort();
  await vi.waitFor(
    async () => {
      const lists = await Promise.all(nodes.map(async (n) => [n.id, await idsListedBy(n.url)] as const));
      expect(Object.fromEntries(lists)).toEqual(Object.fromEntries(nodes.map((n) => [n.id, want])));
    },
    { timeout: timeoutMs, interval: POLL_MS },
  );
  return Date.now() - started;
}

describe('membership between meshchat processes', () => {
  it('merges two networks through a node joining both; after both seeds crash the rest drop them and still chat', async () => {
    // Sub-network A: n1 <- n2, n1 <- n3. Sub-network B: n4 <- n5. The two are built side by side.
    const [[n1, n2, n3], [n4, n5]] = await Promise.all([
      (async () => {
        const seed = await startNode('n1');
        return [seed, await startNode('n2', [seed.url]), await startNode('n3', [seed.url])] as const;
      })(),
      (async () => {
        const seed = await startNode('n4');
        return [seed, await startNode('n5', [seed.url])] as const;
      })(),
    ]);
    expect(await idsListedBy(n3.url)).toEqual(['n1', 'n2', 'n3']);
    expect(await idsListedBy(n5.url)).toEqual(['n4', 'n5']);

    const n6 = await startNode('n6', [n1.url, n4.url]);
    const all = [n1, n2, n3, n4, n5, n6];
    const merged = await waitUntilAllList(all, idsOf(all), CONVERGE_DEADLINE_MS);
    console.info(`six nodes: every list holds all six ${merged} ms after n6 joined`);
    for (const node of all) {
      for (const entry of await listOf(node.url)) {
        expect(entry.state).toBe('alive');
        expect(entry.incarnation).toEqual(expect.any(Number));
      }
    }

    await Promise.all([crash(n1), crash(n4)]);
    const survivors = [n2, n3, n5, n6];
    const dropped = await waitUntilAllList(survivors, idsOf(survivors), DOUBLE_DROP_DEADLINE_MS);
    console.info(
      `six nodes: n1 and n4 dropped by every survivor ${dropped} ms after the crash (bound ${BOUND_MS} ms)`,
    );

    // Users on n2 (from network A) and n5 (from network B) still reach each other, both ways.
    const onN2 = await connectUser(n2.url);
    const onN5 = await connectUser(n5.url);
    expect(await onN2.send('n5', 'from A to B', 'ana')).toMatchObject({ ok: true, status: 'delivered' });
    expect(await onN5.send('n2', 'from B to A', 'bo')).toMatchObject({ ok: true, status: 'delivered' });
    await vi.waitFor(
      () => {
        expect(onN5.messages).toEqual([
          expect.objectContaining({ from: 'n2', to: 'n5', msg: 'from A to B', user: 'ana' }),
        ]);
        expect(onN2.messages).toEqual([
          expect.objectContaining({ from: 'n5', to: 'n2', msg: 'from B to A', user: 'bo' }),
        ]);
      },
      { timeout: 5_000, interval: POLL_MS },
    );
  });

  it('every survivor drops a node killed with SIGKILL within the detection bound, and tells its users', async () => {
    const a = await startNode('a');
    const b = await startNode('b', [a.url]);
    const c = await startNode('c', [a.url]);
    const d = await startNode('d', [b.url]);
    const all = [a, b, c, d];
    await waitUntilAllList(all, idsOf(all), CONVERGE_DEADLINE_MS);

    const survivors = [a, b, d];
    const watching = await Promise.all(survivors.map((n) => connectUser(n.url)));
    // Each user got the list on connect; it must hold c.
    await vi.waitFor(
      () => {
        for (const user of watching) expect(idsOf(user.nodeLists.at(-1) ?? [])).toContain('c');
      },
      { timeout: 5_000, interval: POLL_MS },
    );
    const seenBefore = watching.map((user) => user.nodeLists.length);

    const killedAt = Date.now();
    await crash(c);
    const elapsed = await waitUntilAllList(survivors, ['a', 'b', 'd'], DROP_DEADLINE_MS);
    const total = Date.now() - killedAt;
    console.info(`SIGKILL: c dropped by every survivor ${total} ms after the kill (bound ${BOUND_MS} ms)`);
    expect(elapsed).toBeLessThanOrEqual(DROP_DEADLINE_MS);

    // Every user was pushed a list without c; with three watchers each, some user saw it suspect first.
    await vi.waitFor(
      () => {
        watching.forEach((user, i) => {
          const pushed = user.nodeLists.slice(seenBefore[i]) as Listed[][];
          expect(pushed.some((list) => !list.some((n) => n.id === 'c'))).toBe(true);
        });
      },
      { timeout: 2_000, interval: POLL_MS },
    );
    const sawSuspect = watching.some((user, i) =>
      (user.nodeLists.slice(seenBefore[i]) as Listed[][]).some((list) =>
        list.some((n) => n.id === 'c' && n.state === 'suspect'),
      ),
    );
    expect(sawSuspect).toBe(true);
  });

  it('keeps a live plain node listed, and drops it everywhere once it is killed', async () => {
    const m1 = await startNode('m1');
    const m2 = await startNode('m2', [m1.url]);
    const p = await startPlainNode({ id: 'p', join: m1.url });
    plainNodes.push(p);
    const m3 = await startNode('m3', [m2.url]);
    const meshchat = [m1, m2, m3];

    await waitUntilAllList(meshchat, ['m1', 'm2', 'm3', 'p'], CONVERGE_DEADLINE_MS);
    // The plain node was told about m3 by m3's join, so knowledge is symmetric even for it.
    await vi.waitFor(async () => expect(await idsListedBy(p.url)).toEqual(['m1', 'm2', 'm3', 'p']), {
      timeout: 5_000,
      interval: POLL_MS,
    });
    for (const node of meshchat) {
      const entry = (await listOf(node.url)).find((n) => n.id === 'p');
      // No incarnation and no key: a plain node has neither, and is listed as unverified.
      expect(entry).toEqual({ id: 'p', url: p.url, state: 'alive', verified: false });
    }

    // "Never dropped while alive": watch for several probe periods (a fixed observation window, not a wait), both by polling GET /nodes and through
    // every list pushed to users in the meantime (which also catches a drop between two polls).
    const watching = await Promise.all(meshchat.map((n) => connectUser(n.url)));
    const observeUntil = Date.now() + 5 * LAN.probeIntervalMs;
    let polls = 0;
    while (Date.now() < observeUntil) {
      for (const node of meshchat) {
        const entry = (await listOf(node.url)).find((n) => n.id === 'p');
        // Listed is what counts: a passing suspicion on a loaded machine is not a drop.
        expect(entry, `${node.id} lists p (poll ${polls})`).toMatchObject({ id: 'p', url: p.url });
      }
      polls++;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(polls).toBeGreaterThan(10);
    for (const user of watching) {
      expect(user.nodeLists.length).toBeGreaterThan(0);
      for (const list of user.nodeLists as Listed[][]) {
        expect(list.find((n) => n.id === 'p')).toMatchObject({ id: 'p', url: p.url });
      }
    }

    await p.stop('SIGKILL');
    const dropped = await waitUntilAllList(meshchat, ['m1', 'm2', 'm3'], DROP_DEADLINE_MS);
    console.info(
      `plain node: p dropped by every meshchat node ${dropped} ms after the kill (bound ${BOUND_MS} ms)`,
    );
  });

  it('a node restarted with its data dir and no --join rejoins through a node it knew, its seed being dead', async () => {
    const dataDir = tempDataDir();
    dataDirs.push(dataDir);
    const n1 = await startNode('n1');
    const n2 = await startNode('n2', [n1.url]);
    const r = await startNode('r', [n1.url], ['--data-dir', dataDir]);
    await waitUntilAllList([n1, n2, r], ['n1', 'n2', 'r'], CONVERGE_DEADLINE_MS);

    r.proc.child.kill('SIGTERM');
    expect(await r.proc.exited).toBe(0);
    // It left: both others dropped it at once.
    expect(await idsListedBy(n1.url)).toEqual(['n1', 'n2']);
    expect(await idsListedBy(n2.url)).toEqual(['n1', 'n2']);

    await crash(n1);
    const again = await startNode('r', [], ['--data-dir', dataDir]);
    // The remembered nodes were its seeds: n2 answered, the dead n1 did not.
    const [joinedLine] = await again.proc.waitForOutput(/^joined through .*$/m, 5_000);
    expect(joinedLine).toMatch(new RegExp(`^joined through ${n2.url}: `));
    // It joined before printing its URL, so n2 lists it and it lists n2 right away.
    expect(await idsListedBy(n2.url)).toContain('r');
    expect((await listOf(n2.url)).find((n) => n.id === 'r')).toMatchObject({
      url: again.url,
      state: 'alive',
    });
    expect(await idsListedBy(again.url)).toContain('n2');
    // And the dead seed is gone from both lists in the end.
    await waitUntilAllList([n2, again], ['n2', 'r'], DROP_DEADLINE_MS);
  });
});
