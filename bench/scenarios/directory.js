// Scenario: the mesh directory (`GET /users?scope=mesh`) on N in-process nodes (default 10 and 50, `lan`
// profile, on 127.0.0.1). For each size the network is started one node after another and left to converge;
// then every node gets `directoryUsers` users, each registered with POST /users and logged in with
// POST /sessions over loopback HTTP, and the bench polls every node's `GET /users?scope=mesh` until each lists
// every user (the directory's convergence time, from the last registration). Then it measures:
//   - `GET /users?scope=mesh` latency over real loopback HTTP: `directoryRequests` requests in a row, spread
//     round-robin over a few nodes (so no node's per-address HTTP budget is reached);
//   - the directory's own peer calls at rest: `GET /users` pulls (`listUsers` of the counting peer client) per
//     node per minute over `directoryRestSeconds`, beside the membership's calls in the same window;
//   - the pulls one change causes: one more user registered on the first node, pulls counted until every node
//     lists it plus two gossip intervals (expected: one per other node, N - 1).

import { setTimeout as sleep } from 'node:timers/promises';
import { field } from '../lib/field.js';
import { converge, grow, loadDist, Network, processMeter } from '../lib/membership-net.js';
import { ran } from '../lib/ran.js';
import { percentile } from '../lib/stats.js';
import { fixed, table } from '../lib/table.js';

/** @import { BenchOptions } from '../run.js' */
/** @import { Counts, NetNode } from '../lib/membership-net.js' */

export const name = 'directory';
export const group = 'membership';
export const title = 'GET /users?scope=mesh latency, convergence and the directory pulls of N nodes';

const PASSWORD = 'bench password 123';
/** Nodes the latency requests go to, round-robin (fewer when the network is smaller). */
const LATENCY_NODES = 4;
/** How often every node's `?scope=mesh` is read while waiting for it to list every user. */
const POLL_MS = 250;

/** @param {BenchOptions} options */
export function budgetMs(options) {
  return (
    options.directorySizes.length *
    (2 * options.convergeMaxMs + options.restSettleMs + options.directoryRestSeconds * 1000 + 60_000)
  );
}

/**
 * fetch, with what failed and why (undici's "fetch failed" keeps the reason in `cause`).
 * @param {string} url
 * @param {RequestInit} [init]
 */
async function call(url, init) {
  try {
    return await fetch(url, init);
  } catch (error) {
    const cause = field(error, 'cause');
    const why = field(cause, 'code') ?? field(cause, 'message') ?? String(error);
    throw new Error(`${init?.method ?? 'GET'} ${url}: ${String(why)}`);
  }
}

/**
 * @param {string} url
 * @param {string} path
 * @param {unknown} body
 */
async function post(url, path, body) {
  const response = await call(`${url}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: /** @type {unknown} */ (await response.json()) };
}

/**
 * Registers `user` on `url` and logs it in; throws unless both succeed.
 * @param {string} url
 * @param {string} user
 */
async function addUser(url, user) {
  const made = await post(url, '/users', { name: user, password: PASSWORD });
  if (made.status !== 201) throw new Error(`POST /users ${user} on ${url}: ${made.status}`);
  const session = await post(url, '/sessions', { name: user, password: PASSWORD });
  if (session.status !== 201 || typeof field(session.body, 'token') !== 'string')
    throw new Error(`POST /sessions ${user} on ${url}: ${session.status}`);
}

/**
 * The `user@node` names one node's `GET /users?scope=mesh` lists (undefined when the request failed).
 * @param {string} url
 */
async function meshUsers(url) {
  const response = await call(`${url}/users?scope=mesh`);
  if (response.status !== 200) {
    await response.body?.cancel();
    return undefined;
  }
  const users = field(await response.json(), 'users');
  return new Set(Array.isArray(users) ? users.map((u) => String(field(u, 'user'))) : []);
}

/**
 * Polls every node's `?scope=mesh` until each lists every name in `want`.
 * @param {NetNode[]} nodes
 * @param {string[]} want
 * @param {{ since: number, maxMs: number }} options
 */
async function untilListed(nodes, want, { since, maxMs }) {
  let pending = nodes;
  for (;;) {
    const lists = await Promise.all(pending.map((n) => meshUsers(n.node.url)));
    pending = pending.filter((_, i) => {
      const list = lists[i];
      return !list || want.some((u) => !list.has(u));
    });
    const ms = performance.now() - since;
    if (pending.length === 0) return { ok: true, ms, pending: 0 };
    if (ms > maxMs) return { ok: false, ms, pending: pending.length };
    await sleep(POLL_MS);
  }
}

/**
 * `GET /users` pulls (the directory's peer calls) and every other peer call, summed over nodes, between two
 * `counts()`.
 * @param {Counts} before
 * @param {Counts} after
 */
function calls(before, after) {
  const was = new Map(before.map((b) => [b.id, b.calls]));
  let pulls = 0;
  let other = 0;
  for (const a of after) {
    const b = was.get(a.id) ?? {};
    for (const [method, n] of Object.entries(a.calls)) {
      const d = n - (b[method] ?? 0);
      if (method === 'listUsers') pulls += d;
      else other += d;
    }
  }
  return { pulls, other };
}

/**
 * @param {number} size
 * @param {BenchOptions} options
 * @param {import('../lib/membership-net.js').MembershipSettings} settings
 * @param {(line: string) => void} log
 */
async function measure(size, options, settings, log) {
  const net = new Network({ prefix: `d${size}`, membership: settings });
  try {
    await net.startNode();
    const { t0, gaveUp } = await grow(net, size);
    if (gaveUp) throw new Error(`the ${size}-node network could not be built: ${gaveUp}`);
    const joined = await converge(net, { since: t0, maxMs: options.convergeMaxMs });
    if (!joined.ok)
      throw new Error(
        `membership did not converge (${joined.last.complete}/${size} lists complete) within ${options.convergeMaxMs} ms`,
      );
    const nodes = net.running();

    // Users: `directoryUsers` per node, registered and logged in over HTTP, a few nodes at a time.
    const registered = performance.now();
    /** @type {string[]} */
    const everyone = [];
    const jobs = nodes.flatMap((n, i) =>
      Array.from({ length: options.directoryUsers }, (_, k) => {
        const user = `u${i}${String.fromCharCode(97 + (k % 26))}${k >= 26 ? k : ''}`;
        everyone.push(`${user}@${n.id}`);
        return () => addUser(n.node.url, user);
      }),
    );
    let next = 0;
    const worker = async () => {
      while (next < jobs.length) await jobs[next++]?.();
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    const registerMs = performance.now() - registered;
    // From the last registration: registering is scrypt's time (a hash per POST /users and per POST /sessions).
    const lastRegistered = performance.now();
    const listed = await untilListed(nodes, everyone, {
      since: lastRegistered,
      maxMs: options.convergeMaxMs,
    });
    if (!listed.ok)
      throw new Error(
        `${listed.pending} of ${size} nodes did not list all ${everyone.length} users within ${options.convergeMaxMs} ms`,
      );
    log(
      `directory ${size} nodes: ${everyone.length} users registered in ${fixed(registerMs / 1000, 1)} s, ` +
        `listed everywhere ${fixed(listed.ms / 1000, 1)} s after the last`,
    );

    // Latency of `?scope=mesh` over loopback HTTP, requests in a row, round-robin over a few nodes.
    const targets = nodes.slice(0, Math.min(LATENCY_NODES, nodes.length));
    for (const n of targets) await meshUsers(n.node.url); // warm the connections
    /** @type {number[]} */
    const times = [];
    let failed = 0;
    let usersListed = 0;
    for (let i = 0; i < options.directoryRequests; i++) {
      const target = targets[i % targets.length];
      if (!target) break;
      const started = performance.now();
      const list = await meshUsers(target.node.url);
      times.push(performance.now() - started);
      if (!list) failed++;
      else usersListed = list.size;
    }
    times.sort((a, b) => a - b);
    const r3 = (/** @type {number | undefined} */ v) =>
      v === undefined ? null : Math.round(v * 1000) / 1000;
    const latencyMs = {
      count: times.length,
      p50: r3(percentile(times, 0.5)),
      p95: r3(percentile(times, 0.95)),
      max: r3(times.at(-1)),
    };

    // At rest: the directory's pulls per node per minute, and the membership's calls for comparison.
    await sleep(options.restSettleMs);
    const meter = processMeter();
    const before = net.counts();
    const restStarted = performance.now();
    await sleep(options.directoryRestSeconds * 1000);
    const restSeconds = (performance.now() - restStarted) / 1000;
    const rest = calls(before, net.counts());
    const process = meter.stop();
    const perNodePerMinute = (/** @type {number} */ v) =>
      Math.round((v / size / (restSeconds / 60)) * 1000) / 1000;

    // One change: one more user on the first node; pulls counted until every node lists it, plus two gossip
    // intervals for late pulls.
    const first = /** @type {NetNode} */ (nodes[0]);
    const beforeChange = net.counts();
    const changed = performance.now();
    await addUser(first.node.url, 'newcomer');
    const reached = await untilListed(nodes, [`newcomer@${first.id}`], {
      since: changed,
      maxMs: options.convergeMaxMs,
    });
    await sleep(2 * settings.gossipIntervalMs);
    const change = calls(beforeChange, net.counts());
    log(
      `directory ${size} nodes: ?scope=mesh p50 ${latencyMs.p50} ms; at rest ${perNodePerMinute(rest.pulls)} pulls/node/min; ` +
        `one change ${change.pulls} pulls`,
    );
    return {
      nodes: size,
      users: everyone.length,
      registerMs: Math.round(registerMs),
      listedMs: Math.round(listed.ms),
      latencyMs,
      latencyNodes: targets.length,
      usersListed,
      failedRequests: failed,
      rest: {
        seconds: Math.round(restSeconds * 1000) / 1000,
        pulls: rest.pulls,
        pullsPerNodePerMinute: perNodePerMinute(rest.pulls),
        membershipPerNodePerMinute: perNodePerMinute(rest.other),
      },
      change: {
        pulls: change.pulls,
        expected: size - 1,
        reachedMs: reached.ok ? Math.round(reached.ms) : null,
      },
      process,
    };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log(`directory ${size} nodes: FAILED: ${message}`);
    return { nodes: size, error: message };
  } finally {
    await net.stopAll();
  }
}

/** @param {{ options: BenchOptions, log: (line: string) => void }} context */
export async function run({ options, log }) {
  const { MEMBERSHIP_PROFILES } = await loadDist();
  const settings = MEMBERSHIP_PROFILES.lan;
  /** @type {Awaited<ReturnType<typeof measure>>[]} */
  const runs = [];
  for (const size of options.directorySizes) runs.push(await measure(size, options, settings, log));
  return {
    params: {
      sizes: options.directorySizes,
      usersPerNode: options.directoryUsers,
      requests: options.directoryRequests,
      restSeconds: options.directoryRestSeconds,
      settleMs: options.restSettleMs,
      gossipIntervalMs: settings.gossipIntervalMs,
    },
    runs,
    ok: runs.every(
      (r) => ran(r) && r.failedRequests === 0 && r.rest.pulls === 0 && r.change.reachedMs !== null,
    ),
  };
}

/** @param {Awaited<ReturnType<typeof run>>} result */
export function report(result) {
  const { runs, params } = result;
  const ok = runs.filter(ran);
  /** @param {(r: (typeof ok)[number]) => import('../lib/table.js').Cell} f */
  const cols = (f) => ok.map(f);
  const rows = [
    ['', ...cols((r) => `${r.nodes} nodes`)],
    ['users (listed by ?scope=mesh)', ...cols((r) => `${r.users + 1} (${r.usersListed})`)],
    ['registered + logged in (s)', ...cols((r) => fixed(r.registerMs / 1000, 1))],
    ['listed by every node, after the last (s)', ...cols((r) => fixed(r.listedMs / 1000, 1))],
    [
      `GET /users?scope=mesh p50 / p95 ms (${params.requests} in a row)`,
      ...cols((r) => `${fixed(r.latencyMs.p50, 2)} / ${fixed(r.latencyMs.p95, 2)}`),
    ],
    ['  max ms, failed', ...cols((r) => `${fixed(r.latencyMs.max, 2)}, ${r.failedRequests}`)],
    [
      `directory pulls /node/min at rest (${params.restSeconds} s)`,
      ...cols((r) => fixed(r.rest.pullsPerNodePerMinute, 3)),
    ],
    [
      '  membership calls /node/min, same window',
      ...cols((r) => fixed(r.rest.membershipPerNodePerMinute, 1)),
    ],
    ['pulls for one change (expected N - 1)', ...cols((r) => `${r.change.pulls} (${r.change.expected})`)],
    [
      '  change listed everywhere after (s)',
      ...cols((r) => fixed((r.change.reachedMs ?? Number.NaN) / 1000, 1)),
    ],
    [
      'loop delay p99 / max (ms), CPU % at rest',
      ...cols(
        (r) =>
          `${fixed(r.process.loopDelayMs.p99, 0)} / ${fixed(r.process.loopDelayMs.max, 0)}, ${fixed(r.process.cpuPercent, 0)}`,
      ),
    ],
  ];
  const lines = [table(rows)];
  for (const r of runs) if (!ran(r)) lines.push(`  ${r.nodes} nodes FAILED: ${r.error.split('\n')[0]}`);
  lines.push(
    `  ${params.usersPerNode} users per node (POST /users + POST /sessions over loopback), plus one added on the first ` +
      `node for the change; latency over loopback HTTP, round-robin over up to ${LATENCY_NODES} nodes; lan profile ` +
      `(gossip every ${params.gossipIntervalMs / 1000} s); all nodes share the bench's one event loop.`,
  );
  return lines.join('\n');
}
