// Scenario: HTTP requests between two meshchat nodes per 1,000 messages, with peer links (the default) and
// without (`peerLinks: false`, as `--no-peer-links`). Two in-process nodes on 127.0.0.1; a socket.io user on A
// sends to a user on B, `window` messages in flight. After a warm-up (which lets the link open), every HTTP
// request and every WebSocket upgrade reaching either node's server is counted while `linkMessages` messages
// go from A to B: messages, their batches and the membership traffic of that window (probes, gossip) alike.

import { loadDist } from '../lib/membership-net.js';
import { fixed, table } from '../lib/table.js';
import { connectUser } from '../lib/users.js';

/** @import { BenchOptions } from '../run.js' */
/** @import { Socket } from 'socket.io-client' */
/** @import { Server } from 'node:http' */

export const name = 'peer-requests';
export const group = 'links';
export const title =
  'HTTP requests between two meshchat nodes per 1,000 messages, with and without peer links';

const WARMUP_MESSAGES = 50;
const DEADLINE_MS = 30_000;

/** @param {BenchOptions} options */
export function budgetMs(options) {
  return 2 * (2 * DEADLINE_MS + options.linkMessages * 20 + options.restSeconds * 1000);
}

/** Counts what reaches `server`: plain requests, and upgrades by path. @param {Server} server */
function tally(server) {
  const counts = { requests: 0, peerUpgrades: 0 };
  server.on('request', () => {
    counts.requests++;
  });
  server.on('upgrade', (/** @type {import('node:http').IncomingMessage} */ request) => {
    if ((request.url ?? '').split('?')[0] === '/peer') counts.peerUpgrades++;
  });
  return counts;
}

/** @param {() => boolean} done @param {string} what */
async function until(done, what) {
  const deadline = performance.now() + DEADLINE_MS;
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`${what}: not within ${DEADLINE_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Sends `count` messages from `sender` to node `to`, at most `window` unacknowledged at once.
 * @param {Socket} sender @param {string} to @param {string} prefix @param {number} count @param {number} window
 */
async function sendAll(sender, to, prefix, count, window) {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const msg = `${prefix}-${next++}`;
      await sender.timeout(DEADLINE_MS).emitWithAck('msg', { to, msg });
    }
  };
  await Promise.all(Array.from({ length: Math.min(window, count) }, worker));
}

/** @param {boolean} links @param {BenchOptions} options @param {(line: string) => void} log */
async function measure(links, options, log) {
  const { createNode } = await loadDist();
  // One user sends every message, faster than a person would: its connection, address and account budgets are
  // lifted (the node-to-node ones, which this counts, are kept).
  const unlimited = { ratePerSecond: 0, burst: 0 };
  const config = {
    port: 0,
    host: '127.0.0.1',
    tunnel: /** @type {const} */ ('none'),
    peerLinks: links,
    rateLimits: { connection: unlimited, account: unlimited, address: unlimited },
  };
  const b = createNode({ ...config, id: 'b', join: [] }, { processMetrics: false });
  await b.start();
  const a = createNode({ ...config, id: 'a', join: [b.url] }, { processMetrics: false });
  /** @type {Socket[]} */
  const sockets = [];
  // Counted from the start, so the upgrade A makes while joining is seen.
  const atA = tally(a.server);
  const atB = tally(b.server);
  try {
    await a.start();
    let received = 0;
    const receiver = await connectUser(b.url, { on: { msg: () => received++ } });
    const sender = await connectUser(a.url);
    sockets.push(receiver, sender);
    await sendAll(sender, 'b', 'warm', WARMUP_MESSAGES, options.window);
    await until(() => received >= WARMUP_MESSAGES, 'warm-up');
    if (links) {
      // The link opens after the first call that learned B's offer: wait for one probe round at most.
      await until(() => atB.peerUpgrades > 0, 'the link to open');
      const answered = atB.requests;
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      if (atB.requests > answered)
        log(`links: ${atB.requests - answered} requests still reached B after the link opened`);
    }
    const before = { a: { ...atA }, b: { ...atB } };
    const started = performance.now();
    await sendAll(sender, 'b', 'counted', options.linkMessages, options.window);
    await until(() => received >= WARMUP_MESSAGES + options.linkMessages, 'delivery');
    const seconds = (performance.now() - started) / 1000;
    const toB = atB.requests - before.b.requests;
    const toA = atA.requests - before.a.requests;
    const upgrades = atA.peerUpgrades - before.a.peerUpgrades + (atB.peerUpgrades - before.b.peerUpgrades);
    const per1000 = ((toA + toB) * 1000) / options.linkMessages;
    log(
      `${links ? 'links' : 'no links'}: ${toA + toB} HTTP requests (${toB} to B, ${toA} to A) for ${options.linkMessages} messages`,
    );
    // At rest: membership alone (probes and gossip, LAN profile), counted on both nodes.
    const quiet = atA.requests + atB.requests;
    const restStarted = performance.now();
    await new Promise((resolve) => setTimeout(resolve, options.restSeconds * 1000));
    const restSeconds = (performance.now() - restStarted) / 1000;
    const restPerNodePerDay = ((atA.requests + atB.requests - quiet) / 2 / restSeconds) * 86_400;
    return { links, messages: options.linkMessages, seconds, toB, toA, upgrades, per1000, restPerNodePerDay };
  } catch (error) {
    return { links, error: error instanceof Error ? error.message : String(error) };
  } finally {
    for (const socket of sockets) socket.disconnect();
    await a.stop({ leave: false });
    await b.stop({ leave: false });
  }
}

/** @param {{ options: BenchOptions, log: (line: string) => void }} context */
export async function run({ options, log }) {
  const runs = [await measure(true, options, log), await measure(false, options, log)];
  return {
    params: { messages: options.linkMessages, window: options.window, restSeconds: options.restSeconds },
    runs,
    ok: runs.every((r) => !('error' in r)),
  };
}

/** @param {Awaited<ReturnType<typeof run>>} result */
export function report(result) {
  /** @type {import('../lib/table.js').Cell[][]} */
  const rows = [['', 'with links', 'without links']];
  /** @param {(r: Record<string, unknown>) => import('../lib/table.js').Cell} f */
  const cols = (f) => result.runs.map((r) => ('error' in r ? `FAILED: ${r.error}` : f(r)));
  rows.push(['HTTP requests A -> B', ...cols((r) => /** @type {number} */ (r.toB))]);
  rows.push(['HTTP requests B -> A (membership)', ...cols((r) => /** @type {number} */ (r.toA))]);
  rows.push(['link upgrades in the window', ...cols((r) => /** @type {number} */ (r.upgrades))]);
  rows.push([`HTTP requests per 1,000 messages`, ...cols((r) => fixed(r.per1000, 1))]);
  rows.push(['window (s)', ...cols((r) => fixed(r.seconds, 2))]);
  rows.push(['at rest: HTTP requests per node per day (LAN)', ...cols((r) => fixed(r.restPerNodePerDay, 0))]);
  return [
    table(rows),
    `  ${result.params.messages} messages from a user on A to a user on B, ${result.params.window} in flight, after a ` +
      `${WARMUP_MESSAGES}-message warm-up; every request reaching either node counted (goal with links: <= 1). ` +
      `At rest: what reaches the two nodes over ${result.params.restSeconds} s, per node, scaled to a day.`,
  ].join('\n');
}
