// What the scenarios that run the fan-out (bench/lib/fanout.js) on two variants share: x against y is meshchat
// against plain (fanout-1x10), durable against in-memory (delivery), info against silent (ops). The rounds in
// alternating order, the `params` and `ratios` blocks of their results, the fan-out's delivery problems and the
// report rows of the fan-out part.
import { fanoutBudgetMs } from './fanout.js';
import { ran } from './ran.js';
import { ratio } from './stats.js';
import { fixed } from './table.js';

/** @import { FanoutRun, FanoutSummary } from './fanout.js' */
/** @import { Failed } from './ran.js' */
/** @import { Cell } from './table.js' */
/** @import { BenchOptions } from '../run.js' */

/** Starting a pair of nodes and stopping it, at worst (two starts and their stops). */
const PAIR_START_STOP_MS = 2 * 15_000 + 6_000;

/**
 * The longest a scenario may take that runs the fan-out on a fresh pair for each of `variants` in every round,
 * plus `moreMs` of its own work per run.
 * @param {BenchOptions} options
 * @param {readonly string[]} variants
 * @param {number} moreMs
 */
export function pairRunsBudgetMs(options, variants, moreMs) {
  return options.rounds * variants.length * (fanoutBudgetMs(options) + moreMs + PAIR_START_STOP_MS);
}

/**
 * One run on a fresh pair of nodes: `start` it, `measure` on it (`say` prefixes the run's `label`), and stop it
 * whatever happens. Resolves with the pair's mode and what `measure` found, or with `error` when either threw
 * (logged); `wallSeconds` last.
 * @template {{ mode: string, stop(): Promise<unknown> }} P
 * @template {object} R
 * @param {string} label
 * @param {(line: string) => void} log
 * @param {() => Promise<P>} start
 * @param {(pair: P, say: (line: string) => void) => Promise<R>} measure
 * @returns {Promise<({ mode: string, wallSeconds: number, error?: undefined } & R) | { error: string, wallSeconds: number }>}
 */
export async function measureOnPair(label, log, start, measure) {
  const started = Date.now();
  const say = (/** @type {string} */ line) => log(`${label}: ${line}`);
  /** @type {P | undefined} */
  let pair;
  try {
    pair = await start();
    const result = { mode: pair.mode, ...(await measure(pair, say)) };
    return { ...result, wallSeconds: (Date.now() - started) / 1000 };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    say(`FAILED: ${message}`);
    return { error: message, wallSeconds: (Date.now() - started) / 1000 };
  } finally {
    await pair?.stop();
  }
}

/**
 * Runs `measure(variant, label)` `count` times for every variant, one at a time, the order alternating round by
 * round (x, y, then y, x, ...) so slow drift in the machine's load hits both alike. Returns each variant's
 * results in round order.
 * @template {string} V
 * @template R
 * @param {readonly V[]} variants
 * @param {number} count
 * @param {(variant: V, label: string) => Promise<R>} measure
 * @returns {Promise<Record<V, R[]>>}
 */
export async function alternateRounds(variants, count, measure) {
  const rounds = /** @type {Record<V, R[]>} */ (
    Object.fromEntries(variants.map((variant) => [variant, /** @type {R[]} */ ([])]))
  );
  for (let round = 0; round < count; round++) {
    const order = round % 2 === 0 ? variants : [...variants].reverse();
    for (const variant of order)
      rounds[variant].push(await measure(variant, `round ${round + 1} ${variant}`));
  }
  return rounds;
}

/**
 * The `params` block of a fan-out scenario, from the bench's options. `workload` (more messages the scenario
 * sends) follows the fan-out's counts, `limits` joins its phase limits, and `setup` (how the nodes ran) comes
 * last, before the transport.
 * @template {object} [W={}]
 * @template {object} [L={}]
 * @template {object} [S={}]
 * @param {BenchOptions} options
 * @param {{ workload?: W, limits?: L, setup?: S }} [extra]
 */
export function fanoutParams(options, extra = {}) {
  const {
    workload = /** @type {W} */ ({}),
    limits = /** @type {L} */ ({}),
    setup = /** @type {S} */ ({}),
  } = extra;
  return {
    rounds: options.rounds,
    receivers: options.receivers,
    warmupMessages: options.warmup,
    latencyMessages: options.latency,
    throughputMessages: options.messages,
    window: options.window,
    padBytes: options.padBytes,
    ...workload,
    messageTimeoutMs: options.messageTimeoutMs,
    phaseLimitsMs: {
      warmup: options.warmupMaxMs,
      latency: options.latencyMaxMs,
      throughput: options.throughputMaxMs,
      ...limits,
    },
    ...setup,
    transport: 'websocket',
  };
}

/**
 * x/y ratios of two fan-out summaries (`summarizeFanoutRounds`; either may be missing), plus the throughput
 * ratio of each round's pair of runs. `loadedP50` adds the ratio of the latency under load p50.
 * @param {FanoutSummary | undefined} x
 * @param {FanoutSummary | undefined} y
 * @param {readonly (FanoutRun | Failed)[]} [roundsX]
 * @param {readonly (FanoutRun | Failed)[]} [roundsY]
 * @param {{ loadedP50?: boolean }} [options]
 */
export function fanoutRatios(x, y, roundsX = [], roundsY = [], { loadedP50 = false } = {}) {
  /** @param {(s: Partial<FanoutSummary>) => number | null | undefined} f */
  const of = (f) => ratio(f(x ?? {}), f(y ?? {}));
  /** @param {FanoutRun | Failed | undefined} r */
  const msgsPerSec = (r) => (r && ran(r) ? r.throughput.msgsPerSec : undefined);
  return {
    throughput: of((s) => s.throughput?.msgsPerSec),
    latencyP50: of((s) => s.latency?.p50),
    latencyP99: of((s) => s.latency?.p99),
    ...(loadedP50 ? { loadedP50: of((s) => s.throughput?.loadedP50) } : {}),
    loadedP99: of((s) => s.throughput?.loadedP99),
    nodesCpuMsPerMsg: of((s) => s.throughput?.nodesCpuMsPerMsg),
    // Same-round pairs (run back to back), so a load spike shows up as disagreement between rounds.
    throughputPerRound: roundsX.map((r, i) => ratio(msgsPerSec(r), msgsPerSec(roundsY?.[i]))),
  };
}

/** @typedef {ReturnType<typeof fanoutRatios>} FanoutRatios */
/** @typedef {ReturnType<typeof fanoutParams>} FanoutParams */

/**
 * A comparison of two variants on fresh pairs: `measure` each in `count` rounds (`alternateRounds`), summarize
 * each variant's rounds (`summarizeVariants`), and take the fan-out ratios of the first against the second.
 * @template {string} V
 * @template {FanoutRun | Failed} R
 * @template {{ fanout: FanoutSummary }} S
 * @param {readonly [V, V]} variants
 * @param {number} count
 * @param {(variant: V, label: string) => Promise<R>} measure
 * @param {(rounds: R[], variant: V) => S} summarize
 * @param {(summary: S) => string[]} problems
 */
export async function compareVariants(variants, count, measure, summarize, problems) {
  const rounds = await alternateRounds(variants, count, measure);
  const summaries = summarizeVariants(variants, rounds, summarize, problems);
  const [x, y] = variants;
  const fanout = (/** @type {V} */ v) => summaries.variants[v].summary.fanout;
  const ratios = fanoutRatios(fanout(x), fanout(y), rounds[x], rounds[y]);
  return { rounds, ...summaries, ratios };
}

/**
 * Each variant's summary, with its `problems` (`problems(summary)`) last, and its rounds; plus `failures`, every
 * variant's problems as `variant: problem`.
 * @template {string} V
 * @template R
 * @template {object} S
 * @param {readonly V[]} variants
 * @param {Record<V, R[]>} rounds
 * @param {(rounds: R[], variant: V) => S} summarize
 * @param {(summary: S) => string[]} problems
 */
function summarizeVariants(variants, rounds, summarize, problems) {
  const byVariant = /** @type {Record<V, { summary: S & { problems: string[] }, rounds: R[] }>} */ ({});
  for (const variant of variants) {
    const summary = summarize(rounds[variant], variant);
    byVariant[variant] = { summary: { ...summary, problems: problems(summary) }, rounds: rounds[variant] };
  }
  const failures = variants.flatMap((v) => byVariant[v].summary.problems.map((p) => `${v}: ${p}`));
  return { variants: byVariant, failures };
}

/**
 * The problems of a fan-out summary and of what a scenario adds (`counts`, `what: n`), as `what: n` strings of
 * the counts above zero, then the fan-out's error, if any.
 * @param {Partial<FanoutSummary>} f
 * @param {Record<string, unknown>} counts
 */
export function fanoutProblems(f, counts) {
  const list = problemList({ ...fanoutProblemCounts(f), ...counts });
  if (f.error) list.push(`fan-out: ${f.error}`);
  return list;
}

/**
 * The delivery problems of a fan-out summary as `what: n` counts, for `problemList`.
 * @param {Partial<FanoutSummary>} f
 */
function fanoutProblemCounts(f) {
  return {
    'failed rounds': f.failedRounds,
    'warm-up lost': f.warmupLost,
    'warm-up duplicated': f.warmupDuplicated,
    'latency lost': f.latency?.lost,
    'latency duplicated': f.latency?.duplicated,
    'throughput lost': f.throughput?.lost,
    'throughput duplicated': f.throughput?.duplicated,
    'throughput unknown': f.throughput?.unknown,
  };
}

/**
 * `what: n` strings of the counts above zero (missing counts are none).
 * @param {Record<string, unknown>} counts
 */
function problemList(counts) {
  return Object.entries(counts)
    .filter(([, n]) => typeof n === 'number' && n > 0)
    .map(([what, n]) => `${what}: ${n}`);
}

/**
 * Report row makers for summaries `x` and `y`: `header` (column names from `labels`, [x, y]), `row` (a number
 * of each, with `decimals`, and a ratio), `text` (a string of each, no ratio).
 * @template T
 * @param {T} x
 * @param {T} y
 * @param {readonly [string, string]} labels
 */
export function comparisonRows(x, y, labels) {
  return {
    /** @returns {Cell[]} */
    header: () => ['', labels[0], labels[1], `${labels[0]}/${labels[1]}`],
    /**
     * @param {string} label
     * @param {(s: T) => unknown} f
     * @param {number} decimals
     * @param {number | null | undefined} r
     * @returns {Cell[]}
     */
    row: (label, f, decimals, r) => [label, fixed(f(x), decimals), fixed(f(y), decimals), fixed(r, 3)],
    /**
     * @param {string} label
     * @param {(s: T) => Cell} f
     * @returns {Cell[]}
     */
    text: (label, f) => [label, f(x), f(y), ''],
  };
}

/**
 * The per-round throughputs of two fan-out summaries, and the ratio of each round's pair.
 * @param {Partial<FanoutSummary>} x
 * @param {Partial<FanoutSummary>} y
 * @param {Pick<FanoutRatios, 'throughputPerRound'>} ratios
 * @returns {Cell[]}
 */
export function perRoundRow(x, y, ratios) {
  /** @param {Partial<FanoutSummary>} s */
  const each = (s) => (s.throughput?.perRound ?? []).map((v) => fixed(v, 0)).join(', ');
  return [
    '  per round (msgs/s)',
    each(x),
    each(y),
    ratios.throughputPerRound.map((v) => fixed(v, 3)).join(', '),
  ];
}

/**
 * The header and the fan-out rows of a report comparing fan-out summaries `x` and `y` (columns `labels`):
 * throughput, latency under load, CPU, latency and losses. `throughputNote` follows the throughput ratio.
 * @param {FanoutSummary} x
 * @param {FanoutSummary} y
 * @param {Omit<FanoutRatios, 'loadedP50'>} ratios
 * @param {FanoutParams} params
 * @param {readonly [string, string]} labels
 * @param {{ throughputNote?: string }} [options]
 * @returns {Cell[][]}
 */
export function fanoutRows(x, y, ratios, params, labels, { throughputNote = '' } = {}) {
  const { header, row, text } = comparisonRows(x, y, labels);
  /** @param {FanoutSummary} s @returns {Partial<NonNullable<FanoutSummary['throughput']>>} */
  const t = (s) => s.throughput ?? {};
  /** @param {FanoutSummary} s @returns {Partial<NonNullable<FanoutSummary['latency']>>} */
  const l = (s) => s.latency ?? {};
  return [
    header(),
    [
      `throughput (msgs/s; ${params.throughputMessages} msgs, window ${params.window}, ${params.receivers} users on B)`,
      fixed(t(x).msgsPerSec, 0),
      fixed(t(y).msgsPerSec, 0),
      `${fixed(ratios.throughput, 3)}${throughputNote}`,
    ],
    perRoundRow(x, y, ratios),
    row('  latency under load p99 (ms)', (s) => t(s).loadedP99, 2, ratios.loadedP99),
    text('  CPU % node A / node B / bench', (s) => {
      const c = t(s).cpuPercent;
      return c ? [c.a, c.b, c.client].map((v) => fixed(v, 0)).join(' / ') : '-';
    }),
    row('  node CPU ms per msg (A + B)', (s) => t(s).nodesCpuMsPerMsg, 3, ratios.nodesCpuMsPerMsg),
    row(`latency p50 (ms; ${params.latencyMessages} sequential msgs)`, (s) => l(s).p50, 3, ratios.latencyP50),
    row('latency p99 (ms)', (s) => l(s).p99, 3, ratios.latencyP99),
    text('fan-out lost / duplicated msgs (all phases)', (s) => {
      const lost = (s.warmupLost ?? 0) + (l(s).lost ?? 0) + (t(s).lost ?? 0);
      const dup = (s.warmupDuplicated ?? 0) + (l(s).duplicated ?? 0) + (t(s).duplicated ?? 0);
      return s.error ? '-' : `${lost} / ${dup}`;
    }),
  ];
}

/**
 * The report's lines on the failed rounds of `variant`: `  <variant> round <n> FAILED: <error's first line>`.
 * `failedPart(round)` may name a part that failed in a round that ran, as [what, error].
 * @template {{ error?: string | undefined }} R
 * @param {string} variant
 * @param {readonly R[]} rounds
 * @param {(round: R) => [string, string] | undefined} [failedPart]
 */
export function failedRoundNotes(variant, rounds, failedPart = () => undefined) {
  /** @type {string[]} */
  const lines = [];
  rounds.forEach((r, i) => {
    const part = r.error ? undefined : failedPart(r);
    if (r.error) lines.push(`  ${variant} round ${i + 1} FAILED: ${r.error.split('\n')[0]}`);
    else if (part) lines.push(`  ${variant} round ${i + 1} ${part[0]} FAILED: ${part[1].split('\n')[0]}`);
  });
  return lines;
}

/**
 * The report's note (none, or one line) on a variant whose throughput phase stopped at its time limit.
 * @param {string} variant
 * @param {Partial<FanoutSummary>} f
 */
export function stoppedEarlyNotes(variant, f) {
  const n = f.throughput?.stoppedEarlyRounds;
  return n ? [`  ${variant}: the throughput phase hit its time limit in ${n} round(s)`] : [];
}

/**
 * The start of a report's closing note on how the numbers were taken ('' for a single round).
 * @param {{ rounds: number }} params
 */
export function roundsNote(params) {
  return params.rounds > 1 ? `medians of ${params.rounds} rounds (order alternates); ` : '';
}
