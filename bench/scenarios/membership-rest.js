// Scenario: membership traffic at rest. For each size (default 10 and 25), a network of in-process nodes is
// started one by one and left to converge, then to settle for `restSettleMs`; then every peer call every node
// makes is counted over `restSeconds`. Each call one node sends is one call another node receives, so the
// average sent per node per second is also the average received. It is compared with the budget the settings
// imply: monitors / probe interval (direct probes) + 1 / gossip interval (anti-entropy pulls), per node.

import {
  callRates,
  converge,
  grow,
  loadDist,
  Network,
  PEER_METHODS,
  processMeter,
  restBudget,
  sleep,
} from '../lib/membership-net.js';
import { ran } from '../lib/ran.js';
import { fixed, table } from '../lib/table.js';

/** @import { BenchOptions } from '../run.js' */
/** @import { MembershipSettings } from '../lib/membership-net.js' */

export const name = 'membership-rest';
export const group = 'membership';
export const title = 'peer calls per node per second in a converged, quiet network';

/** @param {BenchOptions} options */
export function budgetMs(options) {
  return (
    options.restSizes.length *
    (options.convergeMaxMs + options.restSettleMs + options.restSeconds * 1000 + 20_000)
  );
}

/**
 * @param {number} size
 * @param {BenchOptions} options
 * @param {MembershipSettings} settings
 * @param {(line: string) => void} log
 */
async function measure(size, options, settings, log) {
  const net = new Network({ prefix: `r${size}` });
  try {
    await net.startNode();
    const { t0, gaveUp } = await grow(net, size);
    if (gaveUp) throw new Error(`the ${size}-node network could not be built: ${gaveUp}`);
    const joined = await converge(net, { since: t0, maxMs: options.convergeMaxMs });
    if (!joined.ok)
      throw new Error(
        `did not converge (${joined.last.complete}/${size} lists complete) within ${options.convergeMaxMs} ms`,
      );
    await sleep(options.restSettleMs);
    const meter = processMeter();
    const before = net.counts();
    const started = performance.now();
    await sleep(options.restSeconds * 1000);
    const seconds = (performance.now() - started) / 1000;
    // `nodes` comes first, as callRates counted it (size).
    const { nodes, ...rates } = callRates(before, net.counts(), seconds, { nodes: size });
    const process = meter.stop();
    const end = net.convergence();
    const budget = restBudget(settings, size);
    const out = {
      nodes,
      convergedMs: Math.round(joined.ms),
      ...rates,
      budget,
      ratioToBudget: Math.round((rates.totalPerNodePerSec / budget.total) * 1000) / 1000,
      stillConverged: end.complete === end.nodes,
      process,
    };
    log(
      `rest ${size} nodes: ${rates.totalPerNodePerSec} calls/node/s over ${fixed(seconds, 1)} s (budget ${budget.total})`,
    );
    return out;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log(`rest ${size} nodes: FAILED: ${message}`);
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
  for (const size of options.restSizes) runs.push(await measure(size, options, settings, log));
  return {
    params: {
      sizes: options.restSizes,
      windowSeconds: options.restSeconds,
      settleMs: options.restSettleMs,
      settings: {
        probeIntervalMs: settings.probeIntervalMs,
        gossipIntervalMs: settings.gossipIntervalMs,
        monitors: settings.monitors,
      },
    },
    runs,
    ok: runs.every(ran),
  };
}

/** @type {Record<(typeof PEER_METHODS)[number], string>} */
const LABELS = {
  getNode: 'GET /nodes/:id (probes)',
  listNodes: 'GET /nodes (gossip)',
  probeVia: 'POST /probe (indirect)',
  announce: 'PUT /nodes/:id (announce)',
  withdraw: 'DELETE /nodes/:id (withdraw)',
  sendMessage: 'PUT /msg',
};

/** @param {Awaited<ReturnType<typeof run>>} result */
export function report(result) {
  const { runs, params } = result;
  const ok = runs.filter(ran);
  /** @param {(r: (typeof ok)[number]) => import('../lib/table.js').Cell} f */
  const cols = (f) => ok.map(f);
  const s = params.settings;
  const rows = [
    [`calls per node per second (${params.windowSeconds} s window)`, ...cols((r) => `${r.nodes} nodes`)],
    ...PEER_METHODS.map((m) => [`  ${LABELS[m]}`, ...cols((r) => fixed(r.perNodePerSec[m], 3))]),
    ['  total (sent = received, on average)', ...cols((r) => fixed(r.totalPerNodePerSec, 3))],
    [
      `  budget: ${s.monitors}/${s.probeIntervalMs / 1000} s + 1/${s.gossipIntervalMs / 1000} s`,
      ...cols((r) => fixed(r.budget.total, 3)),
    ],
    ['  total / budget', ...cols((r) => fixed(r.ratioToBudget, 3))],
    [
      'sent by one node /s, min - max',
      ...cols((r) => `${fixed(r.sentPerSec.min, 1)} - ${fixed(r.sentPerSec.max, 1)}`),
    ],
    [
      'received by one node /s, min - max',
      ...cols((r) => `${fixed(r.receivedPerSec.min, 1)} - ${fixed(r.receivedPerSec.max, 1)}`),
    ],
    ['failed calls', ...cols((r) => Object.values(r.failed).reduce((a, b) => a + b, 0))],
    ['suspicions / removals', ...cols((r) => `${r.suspicions} / ${r.removals}`)],
    ['still converged at the end', ...cols((r) => (r.stillConverged ? 'yes' : 'no'))],
    [
      'loop delay p99 / max (ms), CPU %',
      ...cols(
        (r) =>
          `${fixed(r.process.loopDelayMs.p99, 0)} / ${fixed(r.process.loopDelayMs.max, 0)}, ${fixed(r.process.cpuPercent, 0)}`,
      ),
    ],
  ];
  const lines = [table(rows)];
  for (const r of runs) if (!ran(r)) lines.push(`  ${r.nodes} nodes FAILED: ${r.error.split('\n')[0]}`);
  for (const r of ok) {
    const failures = Object.entries(r.failureCodes);
    if (failures.length > 0)
      lines.push(
        `  ${r.nodes} nodes failed calls: ${failures.map(([code, n]) => `${code} x${n}`).join(', ')}`,
      );
  }
  lines.push(
    `  counted ${params.settleMs / 1000} s after convergence, over every node; received min - max shows how evenly ` +
      'the ring and the random gossip partners spread the load.',
  );
  return lines.join('\n');
}
