// Scenario: one socket.io user on node A sends to node B, where ten socket.io users receive every message.
// Runs the same measurement against meshchat and against the assignment's plain node, one system at a time
// (never both at once, so they do not compete for the CPU), in `rounds` rounds with the order alternating
// (meshchat, plain, then plain, meshchat, ...) so slow drift in the machine's load hits both alike. Each system
// gets fresh nodes every round. A system's numbers are the median over its rounds; losses are summed.
import { runFanoutOnPair, summarizeFanoutRounds } from '../lib/fanout.js';
import { ratio } from '../lib/stats.js';
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
  const rounds = { meshchat: [], plain: [] };
  for (let round = 0; round < options.rounds; round++) {
    const order = round % 2 === 0 ? options.order : [...options.order].reverse();
    for (const system of order) {
      rounds[system].push(await measureOnce(`round ${round + 1} ${system}`, starters[system], options, log));
    }
  }

  const systems = {};
  for (const system of options.order)
    systems[system] = { summary: summarizeFanoutRounds(rounds[system]), rounds: rounds[system] };
  const m = systems.meshchat?.summary;
  const p = systems.plain?.summary;
  const ratios = {
    throughput: ratio(m?.throughput?.msgsPerSec, p?.throughput?.msgsPerSec),
    latencyP50: ratio(m?.latency?.p50, p?.latency?.p50),
    latencyP99: ratio(m?.latency?.p99, p?.latency?.p99),
    loadedP50: ratio(m?.throughput?.loadedP50, p?.throughput?.loadedP50),
    loadedP99: ratio(m?.throughput?.loadedP99, p?.throughput?.loadedP99),
    nodesCpuMsPerMsg: ratio(m?.throughput?.nodesCpuMsPerMsg, p?.throughput?.nodesCpuMsPerMsg),
    // Same-round pairs (run back to back), so a load spike shows up as disagreement between rounds.
    throughputPerRound: (rounds.meshchat ?? []).map((r, i) =>
      ratio(r.throughput?.msgsPerSec, rounds.plain?.[i]?.throughput?.msgsPerSec),
    ),
  };
  const failed = Object.entries(rounds)
    .filter(([, rs]) => rs.some((r) => r.error))
    .map(([s]) => s);
  return {
    params: {
      rounds: options.rounds,
      receivers: options.receivers,
      warmupMessages: options.warmup,
      latencyMessages: options.latency,
      throughputMessages: options.messages,
      window: options.window,
      padBytes: options.padBytes,
      messageTimeoutMs: options.messageTimeoutMs,
      phaseLimitsMs: {
        warmup: options.warmupMaxMs,
        latency: options.latencyMaxMs,
        throughput: options.throughputMaxMs,
      },
      meshchatMode: options.meshchatMode,
      transport: 'websocket',
    },
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
  const both = (f, decimals) => [fixed(f(m), decimals), fixed(f(p), decimals)];
  const each = (f) => [f(m), f(p)];
  const t = (r) => r.throughput ?? {};
  const rows = [
    ['', 'meshchat', 'plain', 'meshchat/plain'],
    [
      `latency p50 (ms; ${params.latencyMessages} sequential msgs)`,
      ...both((r) => r.latency?.p50, 3),
      fixed(ratios.latencyP50, 3),
    ],
    ['latency p99 (ms)', ...both((r) => r.latency?.p99, 3), fixed(ratios.latencyP99, 3)],
    [
      'latency mean / max (ms)',
      ...each((r) => `${fixed(r.latency?.mean, 3)} / ${fixed(r.latency?.max, 1)}`),
      '',
    ],
    [
      'latency msgs delivered/sent',
      ...each((r) => `${r.latency?.delivered ?? '-'}/${r.latency?.sent ?? '-'}`),
      '',
    ],
    [
      `throughput (msgs/s; ${params.throughputMessages} msgs, window ${params.window})`,
      ...both((r) => t(r).msgsPerSec, 0),
      fixed(ratios.throughput, 3),
    ],
    [
      '  per round (msgs/s)',
      ...each((r) => (t(r).perRound ?? []).map((v) => fixed(v, 0)).join(', ')),
      ratios.throughputPerRound.map((v) => fixed(v, 3)).join(', '),
    ],
    [`  = copies received/s by the ${params.receivers} users`, ...both((r) => t(r).copiesPerSec, 0), ''],
    ['  latency under load p50 (ms)', ...both((r) => t(r).loadedP50, 2), fixed(ratios.loadedP50, 3)],
    ['  latency under load p99 (ms)', ...both((r) => t(r).loadedP99, 2), fixed(ratios.loadedP99, 3)],
    ['  msgs delivered to all / sent', ...each((r) => `${t(r).delivered ?? '-'}/${t(r).sent ?? '-'}`), ''],
    ['  lost msgs / missing copies', ...each((r) => `${t(r).lost ?? '-'} / ${t(r).lostCopies ?? '-'}`), ''],
    [
      '  duplicated msgs / extra copies',
      ...each((r) => `${t(r).duplicated ?? '-'} / ${t(r).duplicateCopies ?? '-'}`),
      '',
    ],
    [
      '  CPU % node A / node B / bench / rest',
      ...each((r) => {
        const c = t(r).cpuPercent;
        return c ? [c.a, c.b, c.client, c.unattributed].map((v) => fixed(v, 0)).join(' / ') : '-';
      }),
      '',
    ],
    [
      '  node CPU ms per msg (A + B)',
      ...both((r) => t(r).nodesCpuMsPerMsg, 3),
      fixed(ratios.nodesCpuMsPerMsg, 3),
    ],
    ['sender errors / disconnects', ...each((r) => `${r.senderErrors ?? '-'} / ${r.disconnects ?? '-'}`), ''],
  ];
  const lines = [table(rows)];
  for (const [system, { summary, rounds }] of Object.entries(systems)) {
    rounds.forEach((r, i) => {
      if (r.error) lines.push(`  ${system} round ${i + 1} FAILED: ${r.error.split('\n')[0]}`);
    });
    if (summary.senderErrors)
      lines.push(`  ${system} sender error codes: ${JSON.stringify(summary.senderErrorCodes)}`);
    if (summary.throughput?.stoppedEarlyRounds) {
      lines.push(
        `  ${system}: the throughput phase hit its time limit in ${summary.throughput.stoppedEarlyRounds} round(s)`,
      );
    }
    if (summary.latency?.sent < params.latencyMessages * summary.rounds) {
      lines.push(`  ${system}: the latency phase hit its time limit (${summary.latency.sent} msgs measured)`);
    }
  }
  lines.push(
    `  ${params.rounds > 1 ? `medians of ${params.rounds} rounds (order alternates); ` : ''}` +
      'throughput ratio > 1: meshchat faster; latency and CPU ratios < 1: meshchat faster.',
  );
  lines.push(
    "  CPU 'rest': machine CPU not charged to the nodes or the bench (other processes, kernel TCP work). " +
      'If it is high while the nodes are idle, something else is running: rerun.',
  );
  return lines.join('\n');
}
