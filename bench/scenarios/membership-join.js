// Scenario: join convergence. For each network size (default 10, 25, 50) and each join batch size (default 1
// and 5), one first node is started, then the others are started through a random node that was already
// running: with batch 1 one after another (each `start()`, which includes the join's GET /nodes and the PUTs to
// every node the seed listed, is awaited before the next), with batch k k at a time, concurrently. Nobody
// waits for convergence. The time runs from the first join call until every node's `registry.list()` holds
// all N nodes, every one alive (polled every 20 ms, deadline `convergeMaxMs`). All nodes live in the bench
// process (see ../lib/membership-net.js).

import { callRates, converge, grow, laggards, Network, processMeter } from '../lib/membership-net.js';
import { ran } from '../lib/ran.js';
import { fixed, table } from '../lib/table.js';

/** @import { BenchOptions } from '../run.js' */
/** @import { Cell } from '../lib/table.js' */

export const name = 'membership-join';
export const group = 'membership';
export const title = 'join convergence of N in-process nodes on loopback';

/**
 * Worst case for the hard time limit: every network runs into its deadline.
 * @param {BenchOptions} options
 */
export function budgetMs(options) {
  return options.joinSizes.length * options.joinBatches.length * (options.convergeMaxMs + 20_000);
}

/**
 * @param {number} size
 * @param {number} batch
 * @param {BenchOptions} options
 * @param {(line: string) => void} log
 */
async function measure(size, batch, options, log) {
  const net = new Network({ prefix: `j${size}b${batch}` });
  const meter = processMeter();
  try {
    await net.startNode();
    const before = net.counts();
    const { t0, startMs, failedJoins, joined, gaveUp } = await grow(net, size, {
      batch,
      maxMs: options.convergeMaxMs,
    });
    const atStarted = net.convergence();
    const result = await converge(net, { since: t0, maxMs: options.convergeMaxMs });
    // Converged means all `size` nodes, not just the ones that managed to join.
    if (joined < size) result.ok = false;
    const calls = callRates(before, net.counts(), result.ms / 1000);
    const process = meter.stop();
    const out = {
      nodes: size,
      batch,
      converged: result.ok,
      ms: result.ok ? Math.round(result.ms) : null,
      waitedMs: Math.round(result.ms),
      startMs: Math.round(startMs),
      joined,
      ...(gaveUp ? { gaveUp } : {}),
      failedJoins,
      completeWhenAllStarted: atStarted.complete,
      complete: result.last.complete,
      missingEntries: result.last.missing,
      suspectEntries: result.last.suspect,
      laggards: result.ok ? [] : laggards(net),
      timeline: result.timeline,
      calls: {
        total: calls.totalCalls,
        byMethod: calls.calls,
        perNodePerSec: calls.totalPerNodePerSec,
        failureCodes: calls.failureCodes,
      },
      suspicions: calls.suspicions,
      // Nobody crashed: every node some list dropped was declared dead while alive.
      falselyRemoved: calls.removedIds,
      process,
    };
    log(
      `join ${size} nodes, batch ${batch}: ${out.converged ? `converged in ${out.ms} ms` : `did not converge (${out.complete}/${size} lists complete)`}` +
        `, starts took ${out.startMs} ms, ${out.suspicions} suspicions, loop delay max ${process.loopDelayMs.max} ms`,
    );
    return out;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log(`join ${size} nodes, batch ${batch}: FAILED: ${message}`);
    return { nodes: size, batch, error: message, process: meter.stop() };
  } finally {
    await net.stopAll();
  }
}

/** @param {{ options: BenchOptions, log: (line: string) => void }} context */
export async function run({ options, log }) {
  /** @type {Awaited<ReturnType<typeof measure>>[]} */
  const runs = [];
  for (const batch of options.joinBatches)
    for (const size of options.joinSizes) runs.push(await measure(size, batch, options, log));
  return {
    params: {
      sizes: options.joinSizes,
      batches: options.joinBatches,
      convergeMaxMs: options.convergeMaxMs,
      pollMs: 20,
      nodes: 'in the bench process (createNode), one OfetchPeerClient each, LAN membership profile',
    },
    runs,
    // Not converging is a result (reported), not a failure of the bench; only an error is.
    ok: runs.every(ran),
  };
}

/** @param {Awaited<ReturnType<typeof run>>} result */
export function report(result) {
  /** @type {Cell[][]} */
  const rows = [
    [
      'nodes',
      'join',
      'converged (s)',
      'all started (s)',
      'lists complete',
      'calls/node/s',
      'put / probe / gossip / via / del',
      'suspicions / false deaths',
      'failed joins',
      'loop delay p99 / max (ms)',
      'CPU %',
    ],
  ];
  const lines = [];
  for (const r of result.runs) {
    const join = r.batch === 1 ? 'one by one' : `${r.batch} at once`;
    if (!ran(r)) {
      rows.push([r.nodes, join, 'FAILED', '', '', '', '', '', '', '', '']);
      lines.push(`  ${r.nodes} nodes (${join}) FAILED: ${r.error.split('\n')[0]}`);
      continue;
    }
    const m = r.calls.byMethod;
    rows.push([
      r.nodes,
      join,
      r.converged && r.ms !== null
        ? fixed(r.ms / 1000, 2)
        : `did not converge (${fixed(r.waitedMs / 1000, 0)} s)`,
      fixed(r.startMs / 1000, 2),
      `${r.complete}/${r.joined}`,
      fixed(r.calls.perNodePerSec, 1),
      [m.announce, m.getNode, m.listNodes, m.probeVia, m.withdraw].join(' / '),
      `${r.suspicions} / ${r.falselyRemoved.length}`,
      r.failedJoins.length,
      `${fixed(r.process.loopDelayMs.p99, 0)} / ${fixed(r.process.loopDelayMs.max, 0)}`,
      fixed(r.process.cpuPercent, 0),
    ]);
    if (!r.converged) {
      lines.push(
        `  ${r.nodes} nodes (${join}): ${r.missingEntries} list entries missing, ${r.suspectEntries} suspect; ` +
          `missing most: ${r.laggards.map((l) => `${l.id} (from ${l.missingFrom})`).join(', ')}`,
      );
      lines.push(
        `    progress (s: complete lists): ${r.timeline.map((t) => `${t.s}: ${t.complete}`).join(', ')}`,
      );
    }
    if (r.joined < r.nodes)
      lines.push(`  ${r.nodes} nodes (${join}): only ${r.joined} nodes running: ${r.gaveUp}`);
    const firstFailure = r.failedJoins[0];
    if (firstFailure)
      lines.push(
        `  ${r.nodes} nodes (${join}): ${r.failedJoins.length} join(s) failed and were retried with a new node: ` +
          `${firstFailure.error.split('\n')[0]}`,
      );
    if (r.falselyRemoved.length > 0)
      lines.push(`  ${r.nodes} nodes (${join}): live nodes declared dead: ${r.falselyRemoved.join(', ')}`);
    const failures = Object.entries(r.calls.failureCodes);
    if (failures.length > 0)
      lines.push(
        `  ${r.nodes} nodes (${join}) failed calls: ${failures.map(([code, n]) => `${code} x${n}`).join(', ')}`,
      );
  }
  lines.unshift(table(rows));
  lines.push(
    '  converged: from the first join call until every list holds all N nodes alive. "one by one": each start() ' +
      '(join included) awaited before the next; "k at once": k starts concurrently, each through a node started ' +
      'before its batch. Calls: every peer call of every node from the first join call to convergence, by method: ' +
      'put = PUT /nodes/:id (announce), probe = GET /nodes/:id, gossip = GET /nodes, via = POST /probe, ' +
      'del = DELETE /nodes/:id. Suspicions: members turned suspect, summed over every list; false deaths: live ' +
      'nodes some node declared dead. Loop delay and CPU %: the bench process, which runs every node.',
  );
  return lines.join('\n');
}
