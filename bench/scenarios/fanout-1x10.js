// Scenario: one socket.io user on node A sends to node B, where ten socket.io users receive every message.
// Runs the same measurement against meshchat and against the assignment's plain node, one system at a time
// (never both at once, so they do not compete for the CPU), in `rounds` rounds with the order alternating
// (meshchat, plain, then plain, meshchat, ...) so slow drift in the machine's load hits both alike. Each system
// gets fresh nodes every round. A system's numbers are the median over its rounds; losses are summed.
import {
  alternateRounds,
  comparisonRows,
  failedRoundNotes,
  fanoutParams,
  fanoutRatios,
  measureOnPair,
  perRoundRow,
  roundsNote,
  stoppedEarlyNotes,
} from '../lib/compare.js';
import { runFanoutOnPair, summarizeFanoutRounds } from '../lib/fanout.js';
import { fixed, table } from '../lib/table.js';
import { startMeshchatPair } from '../systems/meshchat.js';
import { startPlainPair } from '../systems/plain.js';

export const name = 'fanout-1x10';
export const title = '1 socket.io user on node A -> 10 socket.io users on node B';

/** @import { BenchOptions } from '../run.js' */
/** @import { FanoutSummary } from '../lib/fanout.js' */
/** @import { MeshchatPair } from '../systems/meshchat.js' */

/**
 * @param {string} label
 * @param {() => Promise<MeshchatPair | Awaited<ReturnType<typeof startPlainPair>>>} start
 * @param {BenchOptions} options
 * @param {(line: string) => void} log
 */
function measureOnce(label, start, options, log) {
  return measureOnPair(label, log, start, (pair, say) => {
    say(`A ${pair.a.url}, B ${pair.b.url} (${pair.mode})`);
    return runFanoutOnPair(pair, options, say);
  });
}

/** @param {{ options: BenchOptions, log: (line: string) => void }} context */
export async function run({ options, log }) {
  const starters = {
    meshchat: () => startMeshchatPair({ mode: options.meshchatMode }),
    plain: () => startPlainPair(),
  };
  const rounds = await alternateRounds(options.order, options.rounds, (system, label) =>
    measureOnce(label, starters[system], options, log),
  );

  /** @type {Partial<Record<System, { summary: FanoutSummary, rounds: Round[] }>>} */
  const systems = {};
  for (const system of options.order)
    systems[system] = { summary: summarizeFanoutRounds(rounds[system]), rounds: rounds[system] };
  const ratios = fanoutRatios(
    systems.meshchat?.summary,
    systems.plain?.summary,
    rounds.meshchat,
    rounds.plain,
    { loadedP50: true },
  );
  const failed = /** @type {System[]} */ (['meshchat', 'plain']).filter((s) =>
    rounds[s]?.some((r) => r.error),
  );
  return {
    params: fanoutParams(options, { setup: { meshchatMode: options.meshchatMode } }),
    systems,
    ratios,
    ok: failed.length === 0,
    failed,
  };
}

/** @typedef {BenchOptions['order'][number]} System */
/** @typedef {Awaited<ReturnType<typeof measureOnce>>} Round */

/**
 * The human-readable report of `run`'s result.
 * @param {Awaited<ReturnType<typeof run>>} result
 */
export function report(result) {
  const { systems, ratios, params } = result;
  /** @type {Partial<FanoutSummary>} */
  const m = systems.meshchat?.summary ?? {};
  /** @type {Partial<FanoutSummary>} */
  const p = systems.plain?.summary ?? {};
  const { header, row, text } = comparisonRows(m, p, ['meshchat', 'plain']);
  /** @param {Partial<FanoutSummary>} r @returns {Partial<NonNullable<FanoutSummary['throughput']>>} */
  const t = (r) => r.throughput ?? {};
  const rows = [
    header(),
    row(
      `latency p50 (ms; ${params.latencyMessages} sequential msgs)`,
      (r) => r.latency?.p50,
      3,
      ratios.latencyP50,
    ),
    row('latency p99 (ms)', (r) => r.latency?.p99, 3, ratios.latencyP99),
    text('latency mean / max (ms)', (r) => `${fixed(r.latency?.mean, 3)} / ${fixed(r.latency?.max, 1)}`),
    text('latency msgs delivered/sent', (r) => `${r.latency?.delivered ?? '-'}/${r.latency?.sent ?? '-'}`),
    row(
      `throughput (msgs/s; ${params.throughputMessages} msgs, window ${params.window})`,
      (r) => t(r).msgsPerSec,
      0,
      ratios.throughput,
    ),
    perRoundRow(m, p, ratios),
    text(`  = copies received/s by the ${params.receivers} users`, (r) => fixed(t(r).copiesPerSec, 0)),
    row('  latency under load p50 (ms)', (r) => t(r).loadedP50, 2, ratios.loadedP50),
    row('  latency under load p99 (ms)', (r) => t(r).loadedP99, 2, ratios.loadedP99),
    text('  msgs delivered to all / sent', (r) => `${t(r).delivered ?? '-'}/${t(r).sent ?? '-'}`),
    text('  lost msgs / missing copies', (r) => `${t(r).lost ?? '-'} / ${t(r).lostCopies ?? '-'}`),
    text(
      '  duplicated msgs / extra copies',
      (r) => `${t(r).duplicated ?? '-'} / ${t(r).duplicateCopies ?? '-'}`,
    ),
    text('  CPU % node A / node B / bench / rest', (r) => {
      const c = t(r).cpuPercent;
      return c ? [c.a, c.b, c.client, c.unattributed].map((v) => fixed(v, 0)).join(' / ') : '-';
    }),
    row('  node CPU ms per msg (A + B)', (r) => t(r).nodesCpuMsPerMsg, 3, ratios.nodesCpuMsPerMsg),
    text('sender errors / disconnects', (r) => `${r.senderErrors ?? '-'} / ${r.disconnects ?? '-'}`),
  ];
  const lines = [table(rows)];
  for (const [system, { summary, rounds }] of Object.entries(systems)) {
    lines.push(...failedRoundNotes(system, rounds));
    if (summary.senderErrors)
      lines.push(`  ${system} sender error codes: ${JSON.stringify(summary.senderErrorCodes)}`);
    lines.push(...stoppedEarlyNotes(system, summary));
    if (
      summary.latency &&
      summary.rounds !== undefined &&
      summary.latency.sent < params.latencyMessages * summary.rounds
    ) {
      lines.push(`  ${system}: the latency phase hit its time limit (${summary.latency.sent} msgs measured)`);
    }
  }
  lines.push(
    `  ${roundsNote(params)}throughput ratio > 1: meshchat faster; ` +
      'latency and CPU ratios < 1: meshchat faster.',
  );
  lines.push(
    "  CPU 'rest': machine CPU not charged to the nodes or the bench (other processes, kernel TCP work). " +
      'If it is high while the nodes are idle, something else is running: rerun.',
  );
  return lines.join('\n');
}
