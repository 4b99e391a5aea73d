// Scenario: what the durable outbox costs. The same two-node meshchat setup as fanout-1x10 (node A and node B,
// B joined to A, each a child process), once with `--data-dir` (SQLite in a temp dir, WAL: every accepted
// message is written before it is acknowledged or pushed) and once with `--in-memory`. One variant at a time, in
// `rounds` rounds with the order alternating (durable, in-memory, then in-memory, durable, ...); fresh nodes and
// data dirs for every run. Each run measures, on the same pair of nodes:
//   fan-out   warm-up, latency (sequential messages) and throughput (`window` in flight) from one socket.io user
//             on A to `receivers` users on B, exactly as fanout-1x10 (bench/lib/fanout.js);
//   backlog   B is SIGKILLed, A's user sends `backlog` messages (all acknowledged `queued`), B is restarted with
//             the same id, port and data dir, and the time until B's user has them all is measured
//             (bench/lib/backlog.js).
// A variant's numbers are medians over its rounds; losses and duplicates are summed, and any makes `ok` false.
import { runBacklogDrain } from '../lib/backlog.js';
import {
  compareVariants,
  comparisonRows,
  failedRoundNotes,
  fanoutParams,
  fanoutProblems,
  fanoutRows,
  measureOnPair,
  pairRunsBudgetMs,
  roundsNote,
  stoppedEarlyNotes,
} from '../lib/compare.js';
import { runFanoutOnPair, summarizeFanoutRounds } from '../lib/fanout.js';
import { ran } from '../lib/ran.js';
import { median, ratio } from '../lib/stats.js';
import { fixed, table } from '../lib/table.js';
import { startMeshchatPair } from '../systems/meshchat.js';

export const name = 'delivery';
export const group = 'delivery';
export const title = 'durable outbox (--data-dir) vs --in-memory: fan-out 1 -> N users, and a backlog drain';

/** @import { BenchOptions } from '../run.js' */
/** @import { FanoutSummary } from '../lib/fanout.js' */

/** @typedef {'durable' | 'in-memory'} Variant */

/** @type {readonly [Variant, Variant]} */
const VARIANTS = ['durable', 'in-memory'];
/** @type {Record<Variant, 'disk' | 'memory'>} */
const STORAGE = { durable: 'disk', 'in-memory': 'memory' };
/** The durable variant should keep at least this share of the in-memory throughput. */
const THROUGHPUT_GOAL = 0.5;

/** @param {BenchOptions} options */
function backlogLimits(options) {
  const scaled = Math.ceil(options.backlog * 5); // 5 ms a message: 200 msgs/s would be very slow already
  return { queueMaxMs: 10_000 + scaled, restartMaxMs: 20_000, drainMaxMs: 10_000 + scaled };
}

/** @param {BenchOptions} options */
export function budgetMs(options) {
  const b = backlogLimits(options);
  const backlog = 2_000 + b.queueMaxMs + b.restartMaxMs + b.drainMaxMs + 2_000 + 3_000;
  return pairRunsBudgetMs(options, VARIANTS, backlog);
}

/**
 * @param {string} label
 * @param {Variant} variant
 * @param {BenchOptions} options
 * @param {(line: string) => void} log
 */
async function measureOnce(label, variant, options, log) {
  const start = () => startMeshchatPair({ mode: 'process', storage: STORAGE[variant], fixedPorts: true });
  const run = await measureOnPair(label, log, start, async (pair, say) => {
    say(`A ${pair.a.url}, B ${pair.b.url} (${pair.storage === 'disk' ? '--data-dir' : '--in-memory'})`);
    const fanout = await runFanoutOnPair(pair, options, say);
    /** @type {BacklogRun} */
    let backlog;
    try {
      say(`backlog: B killed, ${options.backlog} messages to it from A's user`);
      backlog = await runBacklogDrain({
        pair,
        count: options.backlog,
        window: options.window,
        // Messages that reach B before its user connects are replayed from history: keep room for all of them.
        restartArgs: ['--history', String(Math.max(1000, options.backlog))],
        ...backlogLimits(options),
        log: say,
      });
      say(
        `backlog: drained ${backlog.delivery.received}/${backlog.count} in ${fixed(backlog.drain.ms, 0)} ms ` +
          `(${fixed(backlog.drain.msgsPerSec, 0)} msgs/s)`,
      );
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      say(`backlog FAILED: ${message}`);
      backlog = { error: message, ok: false };
    }
    return { ...fanout, backlog };
  });
  return { variant, ...run };
}

/** @typedef {Awaited<ReturnType<typeof measureOnce>>} Round */
/** @typedef {Awaited<ReturnType<typeof runBacklogDrain>>} Backlog */
/** @typedef {Backlog | { error: string, ok: false }} BacklogRun the backlog drain of a run, or why it failed */

/**
 * @param {BacklogRun} b
 * @returns {b is { error: string, ok: false }}
 */
function failed(b) {
  return !ran(b);
}

/** @param {Round[]} rounds */
function summarizeBacklog(rounds) {
  const backlogs = rounds.flatMap((r) => ('backlog' in r ? [r.backlog] : []));
  const good = backlogs.filter(ran);
  const first = good[0];
  if (!first) return { error: backlogs.find(failed)?.error ?? 'no backlog ran' };
  /** @param {(b: Backlog) => number | null | undefined} f */
  const med = (f) => median(good.map(f).filter((v) => typeof v === 'number'));
  /** @param {(b: Backlog) => number} f */
  const sum = (f) => good.reduce((n, b) => n + (f(b) ?? 0), 0);
  return {
    rounds: good.length,
    count: first.count,
    queueMsgsPerSec: med((b) => b.queue.msgsPerSec),
    readyMs: med((b) => b.restart.readyMs),
    aliveAtAMs: med((b) => b.restart.aliveAtAMs),
    userConnectedMs: med((b) => b.restart.userConnectedMs),
    drainMs: med((b) => b.drain.ms),
    drainMsgsPerSec: med((b) => b.drain.msgsPerSec),
    drainPerRound: good.map((b) => b.drain.msgsPerSec),
    totalFromRestartMs: med((b) => b.drain.totalFromRestartMs),
    sent: sum((b) => b.sent),
    ackedQueued: sum((b) => b.acks.queued),
    notQueued: sum((b) => b.acks.delivered + b.acks.refused + b.acks.none),
    received: sum((b) => b.delivery.received),
    lost: sum((b) => b.count - b.delivery.received),
    duplicated: sum((b) => b.delivery.duplicated),
    outOfOrder: sum((b) => b.delivery.outOfOrder),
    unknown: sum((b) => b.delivery.unknown),
    viaHistory: sum((b) => b.delivery.viaHistory),
    overlap: sum((b) => b.delivery.overlap),
    statusDelivered: sum((b) => b.statusDelivered),
    drainFromReadyRounds: good.filter((b) => b.drain.from !== 'alive-at-A').length,
  };
}

/**
 * Every delivery problem of one variant's summary, as `what: n` strings (empty: none).
 * @param {{ fanout: FanoutSummary, backlog: BacklogSummary }} summary
 */
function problems(summary) {
  const f = summary.fanout ?? {};
  const b = summary.backlog ?? {};
  const list = fanoutProblems(f, {
    'backlog not acked queued': b.notQueued,
    'backlog lost': b.lost,
    'backlog duplicated': b.duplicated,
    'backlog out of order': b.outOfOrder,
    'backlog unknown': b.unknown,
  });
  if (b.error) list.push(`backlog: ${b.error}`);
  return list;
}

/** @param {{ options: BenchOptions, log: (line: string) => void }} context */
export async function run({ options, log }) {
  const compared = await compareVariants(
    VARIANTS,
    options.rounds,
    (variant, label) => measureOnce(label, variant, options, log),
    (runs) => ({ fanout: summarizeFanoutRounds(runs), backlog: summarizeBacklog(runs) }),
    problems,
  );
  const { variants, failures } = compared;
  const d = variants.durable.summary;
  const m = variants['in-memory'].summary;
  const { throughputPerRound, ...fanoutRatio } = compared.ratios;
  const ratios = {
    ...fanoutRatio,
    queueMsgsPerSec: ratio(d.backlog.queueMsgsPerSec, m.backlog.queueMsgsPerSec),
    drainMsgsPerSec: ratio(d.backlog.drainMsgsPerSec, m.backlog.drainMsgsPerSec),
    throughputPerRound,
  };
  return {
    params: fanoutParams(options, {
      workload: { backlogMessages: options.backlog },
      limits: backlogLimits(options),
      setup: { meshchatMode: 'process' },
    }),
    variants,
    ratios,
    throughputGoal: {
      min: THROUGHPUT_GOAL,
      met: ratios.throughput !== null && ratios.throughput >= THROUGHPUT_GOAL,
    },
    ok: failures.length === 0,
    failures,
  };
}

/** @typedef {ReturnType<typeof summarizeBacklog>} BacklogSummary */

/**
 * The human-readable report of `run`'s result.
 * @param {Awaited<ReturnType<typeof run>>} result
 */
export function report(result) {
  const { variants, ratios, params, throughputGoal } = result;
  const d = variants.durable.summary;
  const m = variants['in-memory'].summary;
  /** @type {[string, string]} */
  const labels = ['durable', 'in-memory'];
  const { row, text } = comparisonRows(d, m, labels);
  /** @param {typeof d} s @returns {Partial<BacklogSummary>} */
  const b = (s) => s.backlog ?? {};
  const rows = [
    ...fanoutRows(d.fanout, m.fanout, ratios, params, labels, {
      throughputNote: ` (goal >= ${throughputGoal.min}: ${throughputGoal.met ? 'met' : 'NOT met'})`,
    }),
    row(
      `backlog: A queues ${params.backlogMessages} msgs, B down (acks/s)`,
      (s) => b(s).queueMsgsPerSec,
      0,
      ratios.queueMsgsPerSec,
    ),
    text(
      '  B restart: listening / alive at A (ms)',
      (s) => `${fixed(b(s).readyMs, 0)} / ${fixed(b(s).aliveAtAMs, 0)}`,
    ),
    row('  drain (msgs/s, from B alive at A)', (s) => b(s).drainMsgsPerSec, 0, ratios.drainMsgsPerSec),
    text('    per round (msgs/s)', (s) => (b(s).drainPerRound ?? []).map((v) => fixed(v, 0)).join(', ')),
    text(
      '    drain / restart to all received (ms)',
      (s) => `${fixed(b(s).drainMs, 0)} / ${fixed(b(s).totalFromRestartMs, 0)}`,
    ),
    text('  received / lost / duplicated / out of order', (s) =>
      b(s).error ? '-' : `${b(s).received} / ${b(s).lost} / ${b(s).duplicated} / ${b(s).outOfOrder}`,
    ),
    text('  via history (B user connected late) / also live', (s) =>
      b(s).error ? '-' : `${b(s).viaHistory} / ${b(s).overlap}`,
    ),
    text('  acked queued / A told delivered', (s) =>
      b(s).error ? '-' : `${b(s).ackedQueued}/${b(s).sent} / ${b(s).statusDelivered}`,
    ),
  ];
  const lines = [table(rows)];
  for (const variant of VARIANTS) {
    const { summary, rounds } = variants[variant];
    lines.push(
      ...failedRoundNotes(variant, rounds, (r) =>
        'backlog' in r && failed(r.backlog) ? ['backlog', r.backlog.error] : undefined,
      ),
    );
    lines.push(...stoppedEarlyNotes(variant, summary.fanout));
    if (summary.backlog.drainFromReadyRounds)
      lines.push(`  ${variant}: A's user saw no 'nodes' push with B back; drain timed from B listening`);
  }
  if (result.failures.length > 0) lines.push(`  PROBLEMS: ${result.failures.join('; ')}`);
  lines.push(
    `  ${roundsNote(params)}ratios durable/in-memory: throughput and rates < 1 = durable slower; ` +
      'latency and CPU > 1 = durable slower.',
  );
  lines.push(
    `  backlog: B SIGKILLed, restarted with the same id, port and data dir (plus --history ${Math.max(1000, params.backlogMessages)}); ` +
      "drain = from the nodes push showing B alive at A until B's user holds every message.",
  );
  return lines.join('\n');
}
