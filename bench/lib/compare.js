// What the scenarios that run the fan-out (bench/lib/fanout.js) on two variants share: x against y is meshchat
// against plain (fanout-1x10), durable against in-memory (delivery), info against silent (ops). The rounds in
// alternating order, the `params` and `ratios` blocks of their results, the fan-out's delivery problems and the
// report rows of the fan-out part.
import { ratio } from './stats.js';
import { fixed } from './table.js';

/**
 * Runs `measure(variant, label)` `count` times for every variant, one at a time, the order alternating round by
 * round (x, y, then y, x, ...) so slow drift in the machine's load hits both alike. Returns each variant's
 * results in round order.
 */
export async function alternateRounds(variants, count, measure) {
  const rounds = Object.fromEntries(variants.map((variant) => [variant, []]));
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
 */
export function fanoutParams(options, { workload = {}, limits = {}, setup = {} } = {}) {
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
 */
export function fanoutRatios(x, y, roundsX = [], roundsY = [], { loadedP50 = false } = {}) {
  const of = (f) => ratio(f(x ?? {}), f(y ?? {}));
  return {
    throughput: of((s) => s.throughput?.msgsPerSec),
    latencyP50: of((s) => s.latency?.p50),
    latencyP99: of((s) => s.latency?.p99),
    ...(loadedP50 ? { loadedP50: of((s) => s.throughput?.loadedP50) } : {}),
    loadedP99: of((s) => s.throughput?.loadedP99),
    nodesCpuMsPerMsg: of((s) => s.throughput?.nodesCpuMsPerMsg),
    // Same-round pairs (run back to back), so a load spike shows up as disagreement between rounds.
    throughputPerRound: roundsX.map((r, i) =>
      ratio(r.throughput?.msgsPerSec, roundsY?.[i]?.throughput?.msgsPerSec),
    ),
  };
}

/** The delivery problems of a fan-out summary as `what: n` counts, for `problemList`. */
export function fanoutProblemCounts(f) {
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

/** `what: n` strings of the counts above zero (missing counts are none). */
export function problemList(counts) {
  return Object.entries(counts)
    .filter(([, n]) => typeof n === 'number' && n > 0)
    .map(([what, n]) => `${what}: ${n}`);
}

/**
 * Report row makers for summaries `x` and `y`: `header` (column names from `labels`, [x, y]), `row` (a number
 * of each, with `decimals`, and a ratio), `text` (a string of each, no ratio).
 */
export function comparisonRows(x, y, labels) {
  return {
    header: () => ['', labels[0], labels[1], `${labels[0]}/${labels[1]}`],
    row: (label, f, decimals, r) => [label, fixed(f(x), decimals), fixed(f(y), decimals), fixed(r, 3)],
    text: (label, f) => [label, f(x), f(y), ''],
  };
}

/** The per-round throughputs of two fan-out summaries, and the ratio of each round's pair. */
export function perRoundRow(x, y, ratios) {
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
 */
export function fanoutRows(x, y, ratios, params, labels, { throughputNote = '' } = {}) {
  const { header, row, text } = comparisonRows(x, y, labels);
  const t = (s) => s.throughput ?? {};
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

/** The report's note (none, or one line) on a variant whose throughput phase stopped at its time limit. */
export function stoppedEarlyNotes(variant, f) {
  const n = f.throughput?.stoppedEarlyRounds;
  return n ? [`  ${variant}: the throughput phase hit its time limit in ${n} round(s)`] : [];
}

/** The start of a report's closing note on how the numbers were taken ('' for a single round). */
export function roundsNote(params) {
  return params.rounds > 1 ? `medians of ${params.rounds} rounds (order alternates); ` : '';
}
