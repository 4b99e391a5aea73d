// Scenario: `idleUsers` idle socket.io users on one node (node A of a pair, a child process; meshchat with its
// data dir, against the plain node), the users held by `clientProcesses` forked processes of their own (at most
// 5,000 each) on loopback. Measured: the node's resident memory before and with its users, the time the users
// take to connect, and the time to push one message to all of them: from `PUT /msg` addressed to the node
// itself (which both systems push to every user) until the last user has it (one monotonic clock: every
// process reads `process.hrtime`). The users connect from 127.0.0.2-127.0.0.254 in turn (about 40 per address
// for 10,000), so that the node's per-address limits (connections, upgrade requests) run at their defaults and
// still admit them all; 127.0.0.1 is left to the bench's own requests. Each user is one open file on the node and in its client process: a node
// is started with `ulimit -n` raised when the bench's own limit is too low, within the hard limit.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { alternateRounds, measureOnPair } from '../lib/compare.js';
import { LOCAL_ADDRESSES, startIdleClients } from '../lib/idle-clients.js';
import { ran } from '../lib/ran.js';
import { median, ratio } from '../lib/stats.js';
import { fixed, table } from '../lib/table.js';
import { startMeshchatPair } from '../systems/meshchat.js';
import { startPlainPair } from '../systems/plain.js';

/** @import { BenchOptions } from '../run.js' */
/** @import { IdleClients } from '../lib/idle-clients.js' */
/** @import { NodesCpu } from '../lib/fanout.js' */

export const name = 'idle-users';
export const group = 'users';
export const title =
  'idle socket.io users on one node: resident memory, and the time to push one message to all';

const USERS_PER_PROCESS = 5_000;
const PUSHES = 5;
const SETTLE_MS = 3_000;
/** Descriptors a node needs besides its users' (its database, peers, the bench's pipes). */
const FD_SPARE = 1_024;

/** @param {BenchOptions} options */
export function budgetMs(options) {
  return options.rounds * 2 * (60_000 + Math.ceil(options.idleUsers / 100) * 1_000);
}

/** The bench's open-file limit (soft), which its children inherit; undefined where `sh` cannot tell. */
function openFileLimit() {
  try {
    const text = execFileSync('/bin/sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim();
    return text === 'unlimited' ? Number.POSITIVE_INFINITY : Number(text);
  } catch {
    return undefined;
  }
}

/** Resident memory of a process in bytes, from /proc; undefined elsewhere. @param {number | undefined} pid */
function residentBytes(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined;
  }
}

const mb = (/** @type {number | undefined} */ bytes) =>
  bytes === undefined ? null : Math.round((bytes / 2 ** 20) * 10) / 10;

/**
 * @typedef {{ mode: string, a: { id: string, url: string, pid?: number | undefined },
 *   cpuSeconds: () => NodesCpu, stop(): Promise<unknown> }} UsersPair
 */

/**
 * @param {'meshchat' | 'plain'} system
 * @param {string} label
 * @param {BenchOptions} options
 * @param {(line: string) => void} log
 */
function measureOnce(system, label, options, log) {
  const needed = options.idleUsers + FD_SPARE;
  const limit = openFileLimit();
  const fd = limit === undefined || limit >= needed ? {} : { fdLimit: needed };
  /** @type {() => Promise<UsersPair>} */
  const start =
    system === 'meshchat' ? () => startMeshchatPair({ mode: 'process', ...fd }) : () => startPlainPair(fd);
  return measureOnPair(label, log, start, async (pair, say) => {
    const pid = pair.a.pid;
    const processes = Math.max(options.clientProcesses, Math.ceil(options.idleUsers / USERS_PER_PROCESS));
    /** @type {IdleClients[]} */
    const clients = [];
    try {
      for (let i = 0; i < processes; i++) clients.push(await startIdleClients());
      const rssIdle = residentBytes(pid);
      say(`connecting ${options.idleUsers} users from ${processes} processes`);
      const connectStart = performance.now();
      const share = (/** @type {number} */ i) =>
        Math.floor(options.idleUsers / processes) + (i < options.idleUsers % processes ? 1 : 0);
      // Each process starts at its own place in the address list, so the users spread evenly over it.
      let firstAddress = 0;
      const connected = await Promise.all(
        clients.map((c, i) => {
          const options = { firstAddress: firstAddress % LOCAL_ADDRESSES.length };
          firstAddress += share(i);
          return c.connect(pair.a.url, share(i), options);
        }),
      );
      const connectSeconds = (performance.now() - connectStart) / 1000;
      const users = connected.reduce((n, c) => n + c.connected, 0);
      const failed = connected.reduce((n, c) => n + c.failed, 0);
      /** @type {Record<string, number>} */
      const errors = {};
      for (const c of connected)
        for (const [why, n] of Object.entries(c.errors)) errors[why] = (errors[why] ?? 0) + n;
      if (failed > 0) say(`${failed} users could not connect: ${JSON.stringify(errors)}`);
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      const rssWithUsers = residentBytes(pid);
      /** @type {number[]} */
      const pushMs = [];
      for (let i = 0; i < PUSHES; i++) {
        const tag = `idle:${label}:${i}`;
        const armed = await Promise.all(clients.map((c) => c.expect(tag)));
        const t0 = process.hrtime.bigint();
        const response = await fetch(`${pair.a.url}/msg`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ to: pair.a.id, msg: tag }),
        });
        await response.arrayBuffer();
        if (!response.ok) throw new Error(`PUT /msg answered ${response.status}`);
        const got = await Promise.all(armed.map((a) => a.got));
        const last = got.reduce((m, g) => (g.lastNs > m ? g.lastNs : m), t0);
        pushMs.push(Number(last - t0) / 1e6);
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      return {
        users,
        failed,
        errors,
        sourceAddresses: Math.min(options.idleUsers, LOCAL_ADDRESSES.length),
        connectSeconds: Math.round(connectSeconds * 100) / 100,
        rssIdleMb: mb(rssIdle),
        rssWithUsersMb: mb(rssWithUsers),
        rssAfterPushesMb: mb(residentBytes(pid)),
        pushMs: pushMs.map((v) => Math.round(v * 10) / 10),
        clientRssMb: connected.map((c) => mb(c.rssBytes)),
        fdLimit: 'fdLimit' in fd ? fd.fdLimit : limit,
      };
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  });
}

/** @typedef {Awaited<ReturnType<typeof measureOnce>>} Round */

/** @param {readonly Round[]} rounds */
function summarize(rounds) {
  const good = rounds.filter(ran);
  /** @param {number[]} values */
  const stat = (values) => ({
    median: median(values),
    min: values.length ? Math.min(...values) : undefined,
    max: values.length ? Math.max(...values) : undefined,
  });
  /** @param {(r: (typeof good)[number]) => number | null} f */
  const each = (f) => good.map(f).filter((v) => typeof v === 'number');
  return {
    rounds: good.length,
    failedRounds: rounds.length - good.length,
    users: good.length ? Math.min(...good.map((r) => r.users)) : 0,
    failed: good.reduce((n, r) => n + r.failed, 0),
    connectSeconds: stat(each((r) => r.connectSeconds)),
    rssIdleMb: stat(each((r) => r.rssIdleMb)),
    rssWithUsersMb: stat(each((r) => r.rssWithUsersMb)),
    rssAfterPushesMb: stat(each((r) => r.rssAfterPushesMb)),
    pushMs: stat(good.flatMap((r) => r.pushMs)),
  };
}

/** @param {{ options: BenchOptions, log: (line: string) => void }} context */
export async function run({ options, log }) {
  /** @type {('meshchat' | 'plain')[]} */
  const systems = ['meshchat', 'plain'];
  const rounds = await alternateRounds(systems, options.rounds, (system, label) =>
    measureOnce(system, label, options, log),
  );
  const meshchat = summarize(rounds.meshchat);
  const plain = summarize(rounds.plain);
  const failed = systems.filter((s) => rounds[s].some((r) => !ran(r)));
  return {
    params: { idleUsers: options.idleUsers, clientProcesses: options.clientProcesses, pushes: PUSHES },
    meshchat,
    plain,
    ratios: {
      rss: ratio(meshchat.rssWithUsersMb.median, plain.rssWithUsersMb.median),
      pushMs: ratio(meshchat.pushMs.median, plain.pushMs.median),
    },
    rounds,
    ok: failed.length === 0 && meshchat.failed === 0 && plain.failed === 0,
    failed,
  };
}

/** @param {{ median?: number | undefined, min?: number | undefined, max?: number | undefined }} s */
const withSpread = (s, decimals = 1) =>
  s.median === undefined
    ? '-'
    : `${fixed(s.median, decimals)} [${fixed(s.min, decimals)}-${fixed(s.max, decimals)}]`;

/** @param {Awaited<ReturnType<typeof run>>} result */
export function report(result) {
  const { meshchat: m, plain: p, ratios, params } = result;
  const rows = [
    ['', 'meshchat (durable)', 'plain', 'meshchat/plain', 'goal'],
    ['users connected (failed)', `${m.users} (${m.failed})`, `${p.users} (${p.failed})`, '', ''],
    ['connect all, s', withSpread(m.connectSeconds, 2), withSpread(p.connectSeconds, 2), '', ''],
    ['node RSS before users, MB', withSpread(m.rssIdleMb), withSpread(p.rssIdleMb), '', ''],
    [
      'node RSS with the users, MB',
      withSpread(m.rssWithUsersMb),
      withSpread(p.rssWithUsersMb),
      fixed(ratios.rss, 2),
      '<= 250 MB',
    ],
    ['node RSS after the pushes, MB', withSpread(m.rssAfterPushesMb), withSpread(p.rssAfterPushesMb), '', ''],
    [
      `push one message to all, ms (${params.pushes} per round)`,
      withSpread(m.pushMs),
      withSpread(p.pushMs),
      fixed(ratios.pushMs, 2),
      '',
    ],
  ];
  const lines = [table(rows)];
  for (const system of /** @type {const} */ (['meshchat', 'plain'])) {
    result.rounds[system].forEach((r, i) => {
      if (!ran(r)) lines.push(`  ${system} round ${i + 1} FAILED: ${r.error.split('\n')[0]}`);
    });
  }
  const first = result.rounds.meshchat.find(ran);
  for (const system of /** @type {const} */ (['meshchat', 'plain'])) {
    result.rounds[system].forEach((r, i) => {
      if (ran(r) && r.failed > 0)
        lines.push(`  ${system} round ${i + 1}: ${r.failed} users refused: ${JSON.stringify(r.errors)}`);
    });
  }
  lines.push(
    `  medians [lowest-highest] over the rounds (push: every push of every round); users in ` +
      `${params.clientProcesses}+ client processes, connecting from ${first?.sourceAddresses ?? '-'} ` +
      `loopback addresses (127.0.0.2 up) in turn, the node's per-address limits at their defaults; ` +
      `open-file limit ${first?.fdLimit ?? '-'}.`,
  );
  return lines.join('\n');
}
