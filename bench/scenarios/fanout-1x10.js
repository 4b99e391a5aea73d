// Scenario: one socket.io user on node A sends to node B, where ten socket.io users receive every message.
// Runs the same measurement against meshchat and against the assignment's plain node, one system at a time
// (never both at once, so they do not compete for the CPU), in `rounds` rounds with the order alternating
// (meshchat, plain, then plain, meshchat, ...) so slow drift in the machine's load hits both alike. Each system
// gets fresh nodes every round. A system's numbers are the median over its rounds; losses are summed.
import {
  alternateRounds,
  comparisonRows,
  fanoutParams,
  fanoutRatios,
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

async function measureOnce(label, start, options, log) {
  const started = Date.now();
  let pair;
  try {
    pair = await start();
    log(`${label}: A ${pair.a.url}, B ${pair.b.url} (${pair.mode})`);
    const result = await runFanoutOnPair(pair, options, (line) => log(`${label}: ${line}`));
    return { mode: pair.mode, ...result, wallSeconds: (Date.now() - started) / 1000 };
  } catch (error) {
    log(`${label}: FAILED: ${error.message}`);
    return { error: error.message, wallSeconds: (Date.now() - started) / 1000 };
  } finally {
    await pair?.stop();
  }
}

export async function run({ options, log }) {
  const starters = {
    meshchat: () => startMeshchatPair({ mode: options.meshchatMode }),
    plain: () => startPlainPair(),
  };
  const rounds = await alternateRounds(options.order, options.rounds, (system, label) =>
    measureOnce(label, starters[system], options, log),
  );

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
  const failed = ['meshchat', 'plain'].filter((s) => rounds[s]?.some((r) => r.error));
  return {
    params: fanoutParams(options, { setup: { meshchatMode: options.meshchatMode } }),
    systems,
    ratios,
    ok: failed.length === 0,
    failed,
  };
}

/** The human-readable report of `run`'s result. */
export function report(result) {
  const { systems, ratios, params } = result;
  const m = systems.meshchat?.summary ?? {};
  const p = systems.plain?.summary ?? {};
  const { header, row, text } = comparisonRows(m, p, ['meshchat', 'plain']);
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
    rounds.forEach((r, i) => {
      if (r.error) lines.push(`  ${system} round ${i + 1} FAILED: ${r.error.split('\n')[0]}`);
    });
    if (summary.senderErrors)
      lines.push(`  ${system} sender error codes: ${JSON.stringify(summary.senderErrorCodes)}`);
    lines.push(...stoppedEarlyNotes(system, summary));
    if (summary.latency?.sent < params.latencyMessages * summary.rounds) {
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
