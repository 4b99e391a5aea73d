// Scenario: meshchat against the assignment-style node under load, one user on A to ten users on B (both
// systems as child processes, meshchat with its durable outbox). In each round, on a fresh pair of each system:
//   closed loop  the fan-out's throughput phase (`window` in flight): peak msgs/s and node CPU per message;
//   open loop    each of `loadRates` offered for `loadSeconds` whatever the nodes do: p50/p99/p99.9 latency
//                from the scheduled send, what arrived, what was lost;
//   overload     `overload` times the pair's own closed-loop peak, offered the same way: goodput (messages at
//                every receiver during the offered window, per second) against that peak, and for meshchat the
//                acknowledgements (`queued`, refusals) and any message lost without one saying so.
// With `floor` (the default), a pair of floor nodes runs the same rounds: the plain node's user protocol with
// nothing else on the path (`bench/lib/floor-node.js`), so the table shows what this machine and the bench's
// clients allow any node, beside what meshchat and the plain node reach.
import { alternateRounds, measureOnPair } from '../lib/compare.js';
import { runFanout } from '../lib/fanout.js';
import { offerLoad } from '../lib/open-loop.js';
import { ran } from '../lib/ran.js';
import { median, ratio } from '../lib/stats.js';
import { fixed, table } from '../lib/table.js';
import { startMeshchatPair } from '../systems/meshchat.js';
import { startFloorPair, startPlainPair } from '../systems/plain.js';

/** @import { BenchOptions } from '../run.js' */
/** @import { LoadRun } from '../lib/open-loop.js' */
/** @import { NodesCpu } from '../lib/fanout.js' */

/**
 * Either system's pair of nodes, as this scenario uses it.
 * @typedef {{ mode: string, a: { id: string, url: string, pid?: number | undefined },
 *   b: { id: string, url: string, pid?: number | undefined },
 *   cpuSeconds: () => NodesCpu, stop(): Promise<unknown> }} LoadPair
 */

export const name = 'open-loop';
export const group = 'load';
export const title =
  'closed-loop peak, open loop at fixed rates and at 2x peak, meshchat (durable) against the plain node ' +
  '(and the floor)';

const DRAIN_MAX_MS = 30_000;
/** A pause with nothing arriving that ends the wait for stragglers (an outbox retry backs off up to 30 s). */
const QUIET_MS = 5_000;

/** @param {BenchOptions} options */
export function budgetMs(options) {
  const perLoad = options.loadSeconds * 1000 + DRAIN_MAX_MS + 45_000;
  const perPair = 40_000 + options.warmupMaxMs + options.throughputMaxMs + 10_000;
  const systems = options.order.length + (options.floor ? 1 : 0);
  return options.rounds * systems * (perPair + (options.loadRates.length + 1) * perLoad);
}

/** @typedef {'meshchat' | 'plain' | 'floor'} LoadSystem */

/** With MESHCHAT_BENCH_CPU_PROF_DIR set, meshchat's nodes run with `--cpu-prof` into that directory. */
const PROFILE_DIR = process.env.MESHCHAT_BENCH_CPU_PROF_DIR;

/** @type {Record<LoadSystem, () => Promise<LoadPair>>} */
const STARTERS = {
  meshchat: () =>
    startMeshchatPair({
      mode: 'process',
      execArgv: PROFILE_DIR ? ['--cpu-prof', '--cpu-prof-dir', PROFILE_DIR] : [],
    }),
  plain: () => startPlainPair(),
  floor: () => startFloorPair(),
};

/**
 * @param {LoadSystem} system
 * @param {string} label
 * @param {BenchOptions} options
 * @param {(line: string) => void} log
 */
function measureOnce(system, label, options, log) {
  const start = STARTERS[system];
  return measureOnPair(label, log, start, async (pair, say) => {
    const common = {
      senderUrl: pair.a.url,
      receiverUrl: pair.b.url,
      to: pair.b.id,
      receivers: options.receivers,
    };
    if (options.openOnly) {
      // No closed loop to warm the pair up: one second at the first rate first, not counted.
      say(`warm-up: ${options.loadRates[0]} msgs/s for 1 s (not counted)`);
      await offerLoad({
        ...common,
        rate: options.loadRates[0] ?? 1000,
        seconds: 1,
        tag: 'w',
        quietMs: 1_000,
      });
    } else say(`closed loop: ${options.messages} messages, window ${options.window}`);
    const closed = options.openOnly
      ? undefined
      : await runFanout({
          ...common,
          warmup: { count: options.warmup, window: Math.min(50, options.window), maxMs: options.warmupMaxMs },
          latency: { count: 1, maxMs: options.latencyMaxMs },
          throughput: { count: options.messages, window: options.window, maxMs: options.throughputMaxMs },
          messageTimeoutMs: options.messageTimeoutMs,
          cpuSeconds: pair.cpuSeconds,
        });
    const peak = closed?.throughput.msgsPerSec ?? 0;
    /**
     * One open-loop run; a run that cannot even start (a node too busy to take its users' connections: the
     * plain node after a rate it could not carry) is recorded as failed, and the next one still runs.
     * @param {number} rate
     * @param {string} tag
     * @returns {Promise<LoadRun | { rate: number, error: string }>}
     */
    const load = async (rate, tag) => {
      try {
        return await offerLoad({
          ...common,
          rate,
          seconds: options.loadSeconds,
          tag,
          acks: system === 'meshchat',
          quietMs: QUIET_MS,
          drainMaxMs: DRAIN_MAX_MS,
          cpuSeconds: pair.cpuSeconds,
          pids: { a: pair.a.pid, b: pair.b.pid },
        });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        say(`${rate} msgs/s FAILED: ${message}`);
        return { rate, error: message };
      }
    };
    const rates = [];
    for (const rate of options.loadRates) {
      say(`open loop: ${rate} msgs/s for ${options.loadSeconds} s`);
      rates.push(await load(rate, `o${rate}`));
    }
    if (!closed) return { closed: undefined, rates, overload: { rate: 0, error: 'not run (--open-only)' } };
    const overRate = Math.max(1, Math.round(peak * options.overload));
    say(
      `overload: ${overRate} msgs/s (${options.overload} x the peak of ${peak}) for ${options.loadSeconds} s`,
    );
    const overload = await load(overRate, 'x');
    return {
      closed: {
        msgsPerSec: peak,
        nodesCpuMsPerMsg: closed.throughput.cpu.nodesMsPerMsg,
        lost: closed.throughput.delivery.lost,
      },
      rates,
      overload: 'error' in overload ? overload : { ...overload, ofPeak: ratio(overload.goodput, peak) },
    };
  });
}

/** @typedef {Awaited<ReturnType<typeof measureOnce>>} Round */
/** @typedef {Exclude<Round, { error: string }>} GoodRound */

/**
 * The median over rounds of one number, and its spread (lowest, highest).
 * @template T
 * @param {readonly T[]} rounds
 * @param {(r: T) => number | null | undefined} f
 */
function spread(rounds, f) {
  const values = rounds.map(f).filter((v) => typeof v === 'number');
  return {
    median: median(values),
    min: values.length ? Math.min(...values) : undefined,
    max: values.length ? Math.max(...values) : undefined,
  };
}

/** @param {readonly Round[]} rounds @param {readonly number[]} loadRates */
function summarize(rounds, loadRates) {
  const good = rounds.filter(ran);
  /** @param {(r: GoodRound) => number} f */
  const sum = (f) => good.reduce((n, r) => n + f(r), 0);
  return {
    rounds: good.length,
    failedRounds: rounds.length - good.length,
    closed: {
      msgsPerSec: spread(good, (r) => r.closed?.msgsPerSec),
      nodesCpuMsPerMsg: spread(good, (r) => r.closed?.nodesCpuMsPerMsg),
      lost: sum((r) => r.closed?.lost ?? 0),
    },
    rates: loadRates.map((rate, i) => {
      const runs = good.flatMap((r) => {
        const run = r.rates[i];
        return run && !('error' in run) ? [run] : [];
      });
      /** @param {(r: LoadRun) => number | null | undefined} f */
      const of = (f) => spread(runs, f);
      /** @param {(r: LoadRun) => number} f */
      const total = (f) => runs.reduce((n, r) => n + f(r), 0);
      return {
        rate,
        failed: good.length - runs.length,
        p50: of((r) => r.ms.p50),
        p99: of((r) => r.ms.p99),
        p999: of((r) => r.ms.p999),
        goodput: of((r) => r.goodput),
        nodesCpuMsPerMsg: of((r) => r.nodesCpuMsPerMsg),
        nodes: {
          a: nodeCosts(runs.map((r) => r.perNode?.a)),
          b: nodeCosts(runs.map((r) => r.perNode?.b)),
        },
        senderLateMs: of((r) => r.senderLateMs),
        sent: total((r) => r.sent),
        delivered: total((r) => r.delivered),
        silentLoss: total((r) => r.silentLoss),
        duplicateCopies: total((r) => r.duplicateCopies),
        queued: total((r) => r.acks?.queued ?? 0),
        refused: total((r) => r.acks?.refused ?? 0),
        unanswered: total((r) => r.acks?.none ?? 0),
        senderCut: runs.filter((r) => r.senderDisconnected).map((r) => r.senderDisconnected),
      };
    }),
    overload: overloadSummary(good),
  };
}

/** @param {readonly (import('../lib/open-loop.js').NodeCost | undefined)[]} costs one node's, one per run */
function nodeCosts(costs) {
  /** @param {(c: import('../lib/open-loop.js').NodeCost) => number | null} f */
  const of = (f) => spread(costs, (c) => (c ? f(c) : undefined)).median;
  return {
    cpuMs: of((c) => c.cpuMs),
    reads: of((c) => c.reads),
    writes: of((c) => c.writes),
    bytesWritten: of((c) => c.bytesWritten),
  };
}

/** @param {readonly GoodRound[]} good */
function overloadSummary(good) {
  const runs = good.flatMap((r) => ('error' in r.overload ? [] : [r.overload]));
  /** @param {(r: (typeof runs)[number]) => number | null | undefined} f */
  const of = (f) => spread(runs, f);
  /** @param {(r: (typeof runs)[number]) => number} f */
  const total = (f) => runs.reduce((n, r) => n + f(r), 0);
  /** @type {Record<string, number>} */
  const refusals = {};
  for (const r of runs)
    for (const [code, n] of Object.entries(r.acks?.refusals ?? {}))
      refusals[code] = (refusals[code] ?? 0) + n;
  return {
    failed: good.length - runs.length,
    rate: of((r) => r.rate),
    goodput: of((r) => r.goodput),
    ofPeak: of((r) => r.ofPeak),
    p99: of((r) => r.ms.p99),
    sent: total((r) => r.sent),
    delivered: total((r) => r.delivered),
    silentLoss: total((r) => r.silentLoss),
    duplicateCopies: total((r) => r.duplicateCopies),
    queued: total((r) => r.acks?.queued ?? 0),
    refused: total((r) => r.acks?.refused ?? 0),
    unanswered: total((r) => r.acks?.none ?? 0),
    refusals,
  };
}

/**
 * @param {{ options: BenchOptions, log: (line: string) => void }} context
 */
export async function run({ options, log }) {
  /** @type {LoadSystem[]} */
  const systems = options.floor ? [...options.order, 'floor'] : [...options.order];
  const rounds = await alternateRounds(systems, options.rounds, (system, label) =>
    measureOnce(system, label, options, log),
  );
  const meshchat = summarize(rounds.meshchat ?? [], options.loadRates);
  const plain = summarize(rounds.plain ?? [], options.loadRates);
  const floor = options.floor ? summarize(rounds.floor ?? [], options.loadRates) : undefined;
  const failed = systems.filter((s) => rounds[s].some((r) => !ran(r)));
  return {
    params: {
      receivers: options.receivers,
      window: options.window,
      closedMessages: options.messages,
      loadRates: options.loadRates,
      loadSeconds: options.loadSeconds,
      overload: options.overload,
      rounds: options.rounds,
      openOnly: options.openOnly,
    },
    meshchat,
    plain,
    floor,
    ratios: {
      throughput: ratio(meshchat.closed.msgsPerSec.median, plain.closed.msgsPerSec.median),
      cpuLess: ratio(plain.closed.nodesCpuMsPerMsg.median, meshchat.closed.nodesCpuMsPerMsg.median),
    },
    rounds,
    ok: failed.length === 0 && meshchat.overload.silentLoss === 0,
    failed,
  };
}

/** @param {{ median?: number | undefined, min?: number | undefined, max?: number | undefined }} s */
const withSpread = (s, decimals = 2) =>
  s.median === undefined
    ? '-'
    : `${fixed(s.median, decimals)} [${fixed(s.min, decimals)}-${fixed(s.max, decimals)}]`;

/**
 * @typedef {ReturnType<typeof summarize>} Summary
 * @typedef {Summary['rates'][number]} RateSummary
 */

/** @param {Awaited<ReturnType<typeof run>>} result */
export function report(result) {
  const { meshchat: m, plain: p, floor: f, ratios, params } = result;
  /** The systems' columns, the floor's only when it ran. */
  const systems = f ? [m, p, f] : [m, p];
  /** @type {import('../lib/table.js').Cell[][]} */
  const rows = [['', 'meshchat (durable)', 'plain', ...(f ? ['floor'] : []), 'goal']];
  /**
   * One row: its label, one cell per system, its goal.
   * @param {string} label
   * @param {(s: Summary, i: number) => import('../lib/table.js').Cell} cell
   * @param {string} [goal]
   */
  const row = (label, cell, goal = '') => rows.push([label, ...systems.map(cell), goal]);
  if (!params.openOnly) {
    row(
      `closed loop msgs/s (window ${params.window}, ${params.closedMessages} msgs)`,
      (s) => withSpread(s.closed.msgsPerSec, 0),
      `>= 3x: ${fixed(ratios.throughput, 2)}x`,
    );
    row(
      '  node CPU ms per msg (A + B)',
      (s) => withSpread(s.closed.nodesCpuMsPerMsg, 3),
      `>= 4x less: ${fixed(ratios.cpuLess, 2)}x`,
    );
  }
  m.rates.forEach((mr, i) => {
    /** @param {(r: RateSummary) => import('../lib/table.js').Cell} cell */
    const at = (cell) => (/** @type {Summary} */ s) => {
      const r = s.rates[i];
      return r ? cell(r) : '-';
    };
    row(
      `open loop ${mr.rate}/s, ${params.loadSeconds} s: p50 ms`,
      at((r) => withSpread(r.p50)),
    );
    row(
      '  p99 ms',
      at((r) => withSpread(r.p99)),
      mr.rate === 1000 ? '<= 5 ms' : '',
    );
    row(
      '  p99.9 ms',
      at((r) => withSpread(r.p999)),
    );
    row(
      '  delivered / sent (failed runs)',
      at((r) => `${r.delivered} / ${r.sent} (${r.failed})`),
      'all',
    );
    row(
      '  lost silently',
      at((r) => r.silentLoss),
      '0',
    );
    row('  acks queued / refused / none', (s) =>
      s === m ? at((r) => `${r.queued} / ${r.refused} / ${r.unanswered}`)(s) : '(no acks)',
    );
    row(
      '  runs whose sender the node cut off',
      at((r) => `${r.senderCut.length} ${r.senderCut.join(', ')}`.trim()),
    );
    row(
      '  goodput msgs/s',
      at((r) => withSpread(r.goodput, 0)),
    );
    row(
      '  node CPU ms per msg',
      at((r) => withSpread(r.nodesCpuMsPerMsg, 3)),
    );
    row(
      '    A / B',
      at((r) => `${fixed(r.nodes.a.cpuMs, 3)} / ${fixed(r.nodes.b.cpuMs, 3)}`),
    );
    row(
      '  system calls per msg, A: read / write',
      at((r) => `${fixed(r.nodes.a.reads, 2)} / ${fixed(r.nodes.a.writes, 2)}`),
    );
    row(
      '    B: read / write',
      at((r) => `${fixed(r.nodes.b.reads, 2)} / ${fixed(r.nodes.b.writes, 2)}`),
    );
    row(
      '  bytes written per msg, A / B',
      at((r) => `${fixed(r.nodes.a.bytesWritten, 0)} / ${fixed(r.nodes.b.bytesWritten, 0)}`),
    );
  });
  if (!params.openOnly) {
    const o =
      (/** @type {(s: Summary['overload']) => import('../lib/table.js').Cell} */ cell) =>
      (/** @type {Summary} */ s) =>
        cell(s.overload);
    row(
      `overload ${params.overload}x own peak: offered msgs/s`,
      o((x) => withSpread(x.rate, 0)),
    );
    row(
      '  goodput msgs/s',
      o((x) => withSpread(x.goodput, 0)),
    );
    row(
      '  goodput / own peak',
      o((x) => withSpread(x.ofPeak)),
      '>= 0.80',
    );
    row(
      '  p99 ms',
      o((x) => withSpread(x.p99, 0)),
    );
    row(
      '  delivered / sent',
      o((x) => `${x.delivered} / ${x.sent}`),
    );
    row(
      '  failed runs',
      o((x) => x.failed),
    );
    row('  acks queued / refused / none', (s) =>
      s === m ? `${s.overload.queued} / ${s.overload.refused} / ${s.overload.unanswered}` : '(no acks)',
    );
    row(
      '  lost silently',
      o((x) => x.silentLoss),
      '0',
    );
  }
  const lines = [table(rows)];
  const codes = Object.entries(m.overload.refusals);
  if (codes.length > 0)
    lines.push(`  meshchat overload refusals: ${codes.map(([code, n]) => `${code} ${n}`).join(', ')}`);
  for (const [system, runs] of Object.entries(result.rounds)) {
    runs.forEach((r, i) => {
      if (!ran(r)) lines.push(`  ${system} round ${i + 1} FAILED: ${r.error.split('\n')[0]}`);
    });
  }
  if (f) {
    const p99 = (/** @type {Summary} */ s) => s.rates.find((r) => r.rate === 1000)?.p99.median;
    lines.push(
      "  floor: the plain node's user protocol with nothing else on the path (no storage, no checks, one " +
        'WebSocket between the nodes; bench/lib/floor-node.js): what this machine and the bench allow any node.' +
        (p99(f) === undefined
          ? ''
          : ` At 1000/s its p99 is ${fixed(p99(f), 2)} ms; meshchat's is ${fixed(ratio(p99(m), p99(f)), 2)}x ` +
            'that.'),
    );
  }
  lines.push(
    '  system calls and bytes written: /proc/PID/io of each node process (syscr, syscw, wchar) over the run, ' +
      "per delivered message: sockets and files alike (meshchat's WAL and checkpoints included). Each write " +
      'to a socket can wake the process at the other end, which on a virtual machine costs more than the write.',
  );
  lines.push(
    `  medians of ${params.rounds} round(s) [lowest-highest], order alternating; latency from each message's ` +
      'scheduled send to its last receiver (the bench sender falling behind counts against the system).',
  );
  return lines.join('\n');
}
