// Scenario: crash detection. A network of `crashNodes` (default 10) in-process nodes is started one by one and
// left to converge; then, `crashes` times per crash mode, one random node fails and the time until every
// survivor's list has dropped it is measured (polled every 10 ms). Two modes (default: both):
//   refused  `stop({ leave: false })`: its sockets close at once, so calls to it are refused at once, and it
//            sends no DELETE (a process that died);
//   hung     the same, then a black hole listens on its port and never answers, so every probe runs into its
//            timeout (a frozen process, or a link that drops packets).
// Between crashes a fresh node joins in its place and the network converges again, so every crash happens in a
// network of the same size. The times are reported next to the bound the settings promise,
// `detectionBoundMs(MEMBERSHIP_PROFILES.lan)`.
import {
  callRates,
  callsTo,
  converge,
  grow,
  loadDist,
  Network,
  pollUntil,
  processMeter,
  sleep,
} from '../lib/membership-net.js';
import { median } from '../lib/stats.js';
import { fixed, table } from '../lib/table.js';

export const name = 'membership-crash';
export const group = 'membership';
export const title = 'time until every survivor drops a crashed node';

/** @import { BenchOptions } from '../run.js' */

const SETTLE_MS = 1_000;

/** @param {BenchOptions} options */
export function budgetMs(options) {
  const crashes = options.crashes * options.crashModes.length;
  return options.convergeMaxMs + 20_000 + crashes * (options.detectMaxMs + options.convergeMaxMs + 5_000);
}

/**
 * @param {Network} net
 * @param {BenchOptions['crashModes'][number]} mode
 * @param {BenchOptions} options
 * @param {number} bound
 */
async function crashOne(net, mode, options, bound) {
  const victim = net.randomSeed();
  const survivors = net.running().filter((n) => n !== victim);
  const before = net.counts();
  const meter = processMeter();
  /** @type {Map<string, number>} */
  const droppedAt = new Map();
  /** @type {number | undefined} */
  let suspectAt;
  const t0 = performance.now();
  if (mode === 'hung') await net.hang(victim);
  else await net.crash(victim);
  const stopMs = performance.now() - t0;
  const result = await pollUntil(
    () => {
      const now = performance.now() - t0;
      for (const s of survivors) {
        if (droppedAt.has(s.id)) continue;
        const member = s.node.registry.get(victim.id);
        if (!member) droppedAt.set(s.id, now);
        else if (member.state === 'suspect' && suspectAt === undefined) suspectAt = now;
      }
      return droppedAt.size === survivors.length;
    },
    { since: t0, maxMs: options.detectMaxMs, intervalMs: 10 },
  );
  const after = net.counts();
  const calls = callRates(before, after, result.ms / 1000, { nodes: survivors.length });
  const times = [...droppedAt.values()].sort((a, b) => a - b);
  const r = (/** @type {number | undefined} */ v) => (v === undefined ? null : Math.round(v));
  return {
    mode,
    victim: victim.id,
    survivors: survivors.length,
    detected: result.ok,
    stopMs: r(stopMs),
    firstSuspectMs: r(suspectAt),
    firstDropMs: r(times[0]),
    allDroppedMs: result.ok ? r(result.ms) : null,
    dropped: droppedAt.size,
    ratioToBound: result.ok ? Math.round((result.ms / bound) * 1000) / 1000 : null,
    calls: {
      byMethod: calls.calls,
      toVictim: callsTo(before, after, victim.node.url),
      failureCodes: calls.failureCodes,
    },
    // Nodes that told the others (one DELETE per other survivor each); ideally one.
    declarers:
      survivors.length > 1 ? Math.round(((calls.calls.withdraw ?? 0) / (survivors.length - 1)) * 10) / 10 : 0,
    otherRemovals: calls.removedIds.filter((id) => id !== victim.id),
    process: meter.stop(),
  };
}

/** @typedef {Awaited<ReturnType<typeof crashOne>> & { replacementConvergedMs?: number }} Crash */

/** @param {{ options: BenchOptions, log: (line: string) => void }} context */
export async function run({ options, log }) {
  const { detectionBoundMs, MEMBERSHIP_PROFILES } = await loadDist();
  const settings = MEMBERSHIP_PROFILES.lan;
  const bound = detectionBoundMs(settings);
  const size = options.crashNodes;
  const net = new Network({ prefix: 'crash' });
  /** @type {Crash[]} */
  const crashes = [];
  /** @type {string | undefined} */
  let error;
  try {
    await net.startNode();
    const { t0, gaveUp } = await grow(net, size);
    if (gaveUp) throw new Error(`the ${size}-node network could not be built: ${gaveUp}`);
    const first = await converge(net, { since: t0, maxMs: options.convergeMaxMs });
    if (!first.ok)
      throw new Error(
        `the ${size}-node network did not converge (${first.last.complete}/${size} lists complete)`,
      );
    const plan = options.crashModes.flatMap((mode) => Array.from({ length: options.crashes }, () => mode));
    for (const [i, mode] of plan.entries()) {
      await sleep(SETTLE_MS);
      /** @type {Crash} */
      const crash = await crashOne(net, mode, options, bound);
      crashes.push(crash);
      log(
        `crash ${i + 1} (${mode}): ${crash.victim} ${crash.detected ? `dropped by all ${crash.survivors} survivors after ${crash.allDroppedMs} ms` : `still listed by ${crash.survivors - crash.dropped} survivors after ${options.detectMaxMs} ms`} (bound ${bound} ms)`,
      );
      if (i === plan.length - 1) break;
      // A fresh node takes its place, so the next crash is in a network of the same size again.
      const started = performance.now();
      await net.startNode(net.randomSeed().node.url);
      const again = await converge(net, { since: started, maxMs: options.convergeMaxMs });
      if (!again.ok) throw new Error(`after crash ${i + 1}, the replacement node did not converge`);
      crash.replacementConvergedMs = Math.round(again.ms);
    }
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
    log(`crash: FAILED: ${error}`);
  } finally {
    await net.stopAll();
  }
  /** @param {Crash[]} list */
  const summarize = (list) => {
    const detected = list.flatMap((c) => (c.detected && c.allDroppedMs !== null ? [c.allDroppedMs] : []));
    return {
      crashes: list.length,
      detected: detected.length,
      medianMs: median(detected) ?? null,
      maxMs: detected.length ? Math.max(...detected) : null,
      medianRatio: median(detected.map((ms) => ms / bound)) ?? null,
      maxRatio: detected.length ? Math.round((Math.max(...detected) / bound) * 1000) / 1000 : null,
    };
  };
  return {
    params: {
      nodes: size,
      crashesPerMode: options.crashes,
      modes: options.crashModes,
      detectMaxMs: options.detectMaxMs,
      pollMs: 10,
      settings: {
        probeIntervalMs: settings.probeIntervalMs,
        probeTimeoutMs: settings.probeTimeoutMs,
        suspicionTimeoutMs: settings.suspicionTimeoutMs,
        monitors: settings.monitors,
      },
    },
    boundMs: bound,
    crashes,
    summary: Object.fromEntries(
      options.crashModes.map((mode) => [mode, summarize(crashes.filter((c) => c.mode === mode))]),
    ),
    ...(error ? { error } : {}),
    ok: !error, // a crash not detected in time is a result (reported), not a failure of the bench
  };
}

/** @param {Awaited<ReturnType<typeof run>>} result */
export function report(result) {
  const { boundMs, crashes, summary, params } = result;
  /** @type {import('../lib/table.js').Cell[][]} */
  const rows = [
    [
      `crash in ${params.nodes} nodes`,
      'first suspect (ms)',
      'first drop (ms)',
      'all dropped (ms)',
      'bound (ms)',
      'all/bound',
      'nodes that sent DELETEs',
      'calls to it / POST /probe',
    ],
  ];
  crashes.forEach((c, i) => {
    rows.push([
      `#${i + 1} ${c.mode} ${c.victim}`,
      c.firstSuspectMs,
      c.firstDropMs,
      c.detected ? c.allDroppedMs : `not by ${c.survivors - c.dropped} survivors`,
      boundMs,
      fixed(c.ratioToBound, 3),
      c.declarers,
      `${c.calls.toVictim} / ${c.calls.byMethod.probeVia}`,
    ]);
  });
  for (const [mode, m] of Object.entries(summary)) {
    rows.push([`${mode}: median`, '', '', fixed(m.medianMs, 0), boundMs, fixed(m.medianRatio, 3), '', '']);
    rows.push([`${mode}: max`, '', '', fixed(m.maxMs, 0), boundMs, fixed(m.maxRatio, 3), '', '']);
  }
  const lines = [table(rows)];
  if (result.error) lines.push(`  FAILED: ${result.error.split('\n')[0]}`);
  for (const [i, c] of crashes.entries())
    if (c.otherRemovals.length > 0)
      lines.push(`  crash #${i + 1}: live nodes dropped as well: ${c.otherRemovals.join(', ')}`);
  lines.push(
    '  times from the crash call; bound = probe interval + 3 x probe timeout + suspicion timeout. refused: the ' +
      'node is gone and calls to it are refused at once; hung: a listener on its port never answers, so probes ' +
      'wait for their timeouts. calls to it: every call survivors made to the crashed node until the last one dropped it; POST /probe: ' +
      'indirect probes over the same time.',
  );
  return lines.join('\n');
}
