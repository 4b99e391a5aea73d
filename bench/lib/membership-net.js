// In-process meshchat networks for the membership benchmarks: N nodes built with createNode() from ../../dist
// (run `npm run build` first), all in the bench process on 127.0.0.1, each with its own real OfetchPeerClient
// wrapped so every outgoing peer call is counted per node, per method and per destination.
//
// Every node shares the bench's one event loop (one thread, so one CPU at most for all of them, bar libuv's
// helpers), so the numbers say as much about that loop as about the protocol: each phase also reports the
// event-loop delay and the bench process's CPU use. When the loop lags past the probe timeout (500 ms), live
// nodes miss probes and get suspected.
import { createServer } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { field } from './field.js';

/**
 * The compiled modules the membership benchmarks use.
 * @typedef {object} Dist
 * @property {typeof import('../../dist/container.js').createNode} createNode
 * @property {typeof import('../../dist/adapters/peers/ofetch-peer-client.js').OfetchPeerClient} OfetchPeerClient
 * @property {typeof import('../../dist/application/membership/settings.js').MEMBERSHIP_PROFILES} MEMBERSHIP_PROFILES
 * @property {typeof import('../../dist/application/membership/settings.js').detectionBoundMs} detectionBoundMs
 */
/** @typedef {ReturnType<Dist['createNode']>} MeshNode */
/** @typedef {NonNullable<NonNullable<Parameters<Dist['createNode']>[1]>['peers']>} PeerClient */
/** @typedef {Dist['MEMBERSHIP_PROFILES']['lan']} MembershipSettings */

export const PEER_METHODS = /** @type {const} */ ([
  'getNode',
  'listNodes',
  'probeVia',
  'announce',
  'withdraw',
  'sendMessage',
]);

const sleep = (/** @type {number} */ ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** @type {Dist | undefined} */
let dist;
/** The compiled modules the membership benchmarks use (imported once, after reflect-metadata). */
export async function loadDist() {
  if (!dist) {
    await import('reflect-metadata');
    const [container, peers, settings] = await Promise.all([
      import('../../dist/container.js'),
      import('../../dist/adapters/peers/ofetch-peer-client.js'),
      import('../../dist/application/membership/settings.js'),
    ]);
    dist = {
      createNode: container.createNode,
      OfetchPeerClient: peers.OfetchPeerClient,
      MEMBERSHIP_PROFILES: settings.MEMBERSHIP_PROFILES,
      detectionBoundMs: settings.detectionBoundMs,
    };
  }
  return dist;
}

/**
 * @typedef {object} CallCounts
 * @property {Record<string, number>} calls by method
 * @property {Record<string, number>} failed by method
 * @property {Record<string, number>} failureCodes by `<method> <code>[ <status>[ <peer code>]]`
 * @property {Map<string, number>} byDestination by the URL called
 */

/**
 * Counts of calls: `calls[method]`, `failed[method]` (rejected, whatever the reason), and calls per destination.
 * @returns {CallCounts}
 */
function emptyCounts() {
  const zero = () => Object.fromEntries(PEER_METHODS.map((m) => [m, 0]));
  return { calls: zero(), failed: zero(), failureCodes: {}, byDestination: new Map() };
}

/**
 * A PeerClient that hands every call to a real one and counts it. `snapshot()` copies the counts, so a window is
 * the difference of two snapshots. Its methods are made in the constructor, one per method of the client it
 * wraps, so the checker cannot see them: `create` gives it typed as the PeerClient it is.
 */
export class CountingPeerClient {
  #inner;
  #counts = emptyCounts();

  /**
   * @param {PeerClient} inner
   * @returns {CountingPeerClient & PeerClient}
   */
  static create(inner) {
    return /** @type {CountingPeerClient & PeerClient} */ (new CountingPeerClient(inner));
  }

  /** @param {PeerClient} inner */
  constructor(inner) {
    this.#inner = inner;
    const members = /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (inner));
    // Every method of the real client, not only the known ones: one added to PeerClient later is still
    // delegated (and counted under its own name).
    /** @type {Set<string>} */
    const methods = new Set(PEER_METHODS);
    for (let proto = Object.getPrototypeOf(inner); proto && proto !== Object.prototype; ) {
      for (const key of Object.getOwnPropertyNames(proto))
        if (key !== 'constructor' && typeof members[key] === 'function') methods.add(key);
      proto = Object.getPrototypeOf(proto);
    }
    for (const method of methods) {
      const call = /** @type {(...args: unknown[]) => Promise<unknown>} */ (members[method]);
      Object.assign(this, {
        [method]: (/** @type {string} */ url, /** @type {unknown[]} */ ...args) =>
          this.#count(method, url, () => call.call(this.#inner, url, ...args)),
      });
    }
  }

  /**
   * @param {string} method
   * @param {string} url
   * @param {() => Promise<unknown>} call
   */
  async #count(method, url, call) {
    const c = this.#counts;
    c.calls[method] = (c.calls[method] ?? 0) + 1;
    c.byDestination.set(url, (c.byDestination.get(url) ?? 0) + 1);
    try {
      return await call();
    } catch (error) {
      c.failed[method] = (c.failed[method] ?? 0) + 1;
      const peerCode = field(error, 'peerCode');
      const status =
        field(error, 'status') === undefined
          ? ''
          : ` ${field(error, 'status')}${peerCode ? ` ${peerCode}` : ''}`;
      const code = `${method} ${field(error, 'code') ?? 'error'}${status}`;
      c.failureCodes[code] = (c.failureCodes[code] ?? 0) + 1;
      throw error;
    }
  }

  /** @returns {CallCounts} */
  snapshot() {
    const c = this.#counts;
    return {
      calls: { ...c.calls },
      failed: { ...c.failed },
      failureCodes: { ...c.failureCodes },
      byDestination: new Map(c.byDestination),
    };
  }
}

/**
 * after - before, key by key, for plain objects of numbers (the keys of `after`).
 * @param {Record<string, number>} after
 * @param {Record<string, number>} before
 */
function diff(after, before) {
  return Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)]));
}

/**
 * One node of a network, and what the bench counts of it.
 * @typedef {object} NetNode
 * @property {string} id
 * @property {MeshNode} node
 * @property {CountingPeerClient} peers
 * @property {{ suspected: number, removed: string[] }} events suspicions it saw, ids it removed
 * @property {boolean} stopped
 * @property {string} [failed] why its start failed
 */

/**
 * A network of in-process nodes. Node ids are `<prefix>-<index>` (zero-padded), so the ring that decides who
 * watches whom follows start order.
 */
export class Network {
  /** @type {NetNode[]} */
  nodes = [];
  /** @type {{ server: import('node:net').Server, sockets: Set<import('node:net').Socket> }[]} */
  #holes = []; // black holes listening on the ports of hung nodes
  #prefix;
  #membership;
  #random;
  #next = 0;

  /**
   * @param {object} options
   * @param {string} options.prefix
   * @param {Partial<MembershipSettings>} [options.membership]
   * @param {() => number} [options.random]
   */
  constructor({ prefix, membership = {}, random = Math.random }) {
    this.#prefix = prefix;
    this.#membership = membership;
    this.#random = random;
  }

  get size() {
    return this.nodes.length;
  }

  /**
   * Starts one node joining through `seedUrl` (none for the first); resolves once its start() resolved.
   * @param {string} [seedUrl]
   */
  async startNode(seedUrl) {
    const { createNode, OfetchPeerClient } = await loadDist();
    const id = `${this.#prefix}-${String(this.#next++).padStart(3, '0')}`;
    const peers = CountingPeerClient.create(new OfetchPeerClient());
    const node = createNode(
      {
        id,
        port: 0,
        host: '127.0.0.1',
        tunnel: 'none',
        join: seedUrl ? [seedUrl] : [],
        leaveTimeoutMs: 2_000,
        membership: this.#membership,
      },
      { peers },
    );
    // Registry events, to count suspicions (a member turning suspect) and removals this node made.
    const events = { suspected: 0, removed: /** @type {string[]} */ ([]) };
    node.registry.onChange((change) => {
      if (change.kind === 'updated' && change.node.state === 'suspect') events.suspected++;
      if (change.kind === 'removed') events.removed.push(change.node.id);
    });
    /** @type {NetNode} */
    const entry = { id, node, peers, events, stopped: false };
    this.nodes.push(entry);
    try {
      await node.start();
    } catch (error) {
      // start() released what it opened; the entry stays (its calls were made) but never counts as running.
      entry.stopped = true;
      entry.failed = error instanceof Error ? error.message : String(error);
      throw error;
    }
    return entry;
  }

  /**
   * A random node started so far (and still running), to join through.
   * @param {readonly NetNode[]} [among]
   */
  randomSeed(among = this.nodes) {
    const running = among.filter((n) => !n.stopped);
    const seed = running[Math.floor(this.#random() * running.length)];
    if (!seed) throw new Error('no node is running to join through');
    return seed;
  }

  running() {
    return this.nodes.filter((n) => !n.stopped);
  }

  /**
   * How many running nodes list exactly the running nodes, every one alive (themselves included), plus the
   * number of (node, member) entries still missing or not alive.
   */
  convergence() {
    const running = this.running();
    const want = new Set(running.map((n) => n.id));
    let complete = 0;
    let missing = 0;
    let suspect = 0;
    let extra = 0;
    for (const { node } of running) {
      const list = node.registry.list();
      let have = 0;
      for (const member of list) {
        if (!want.has(member.id)) extra++;
        else if (member.state === 'alive') have++;
        else suspect++;
      }
      missing += want.size - have;
      if (have === want.size && list.length === want.size) complete++;
    }
    return { nodes: running.length, complete, missing, suspect, extra };
  }

  /**
   * Crashes one node: sockets closed at once, no DELETE sent (connection refused from then on).
   * @param {NetNode} entry
   */
  async crash(entry) {
    entry.stopped = true;
    await entry.node.stop({ leave: false });
  }

  /**
   * Makes one node hang, as a frozen process or a dead link would: the node is crashed as above, and at once a
   * "black hole" listens on its port, accepting connections and never answering, so every call to it runs
   * into its timeout instead of being refused.
   * @param {NetNode} entry
   */
  async hang(entry) {
    const { port } = entry.node;
    await this.crash(entry);
    /** @type {Set<import('node:net').Socket>} */
    const sockets = new Set();
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.once('close', () => sockets.delete(socket));
      socket.resume(); // read and drop whatever arrives
    });
    await /** @type {Promise<void>} */ (
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => resolve());
      })
    );
    this.#holes.push({ server, sockets });
  }

  /** A snapshot of every node's counts (running or not); `callRates` takes the difference of two. */
  counts() {
    return this.nodes.map((n) => ({
      id: n.id,
      url: n.node.url,
      ...n.peers.snapshot(),
      events: { suspected: n.events.suspected, removed: n.events.removed.length },
      removedLog: n.events.removed,
    }));
  }

  /** Stops every node at once, without leaving (a graceful leave of every node would only add traffic). */
  async stopAll() {
    for (const { server, sockets } of this.#holes.splice(0)) {
      server.close();
      for (const socket of sockets) socket.destroy();
    }
    await Promise.allSettled(
      this.nodes.map(async (n) => {
        n.stopped = true;
        await n.node.stop({ leave: false });
      }),
    );
  }
}

/** @typedef {ReturnType<Network['counts']>} Counts every node's counts at one moment */

/**
 * Per-method totals and per-node extremes between two `counts()` of one network, over `seconds`.
 * @param {Counts} before
 * @param {Counts} after
 * @param {number} seconds
 * @param {{ nodes?: number }} [options]
 */
export function callRates(before, after, seconds, { nodes } = {}) {
  const byId = new Map(before.map((b) => [b.id, b]));
  const urlToId = new Map(after.map((a) => [a.url, a.id]));
  const totals = Object.fromEntries(PEER_METHODS.map((m) => [m, 0]));
  const failed = Object.fromEntries(PEER_METHODS.map((m) => [m, 0]));
  /** @type {Record<string, number>} */
  const failureCodes = {};
  /** @type {Map<string, number>} */
  const sentBy = new Map();
  const receivedBy = new Map(after.map((a) => [a.id, 0]));
  let suspicions = 0;
  let removals = 0;
  const removedIds = new Set();
  for (const a of after) {
    const b = byId.get(a.id);
    const calls = b ? diff(a.calls, b.calls) : a.calls;
    const fails = b ? diff(a.failed, b.failed) : a.failed;
    const codes = b ? diff(a.failureCodes, b.failureCodes) : a.failureCodes;
    let sent = 0;
    for (const [m, v] of Object.entries(calls)) {
      totals[m] = (totals[m] ?? 0) + v;
      sent += v;
    }
    for (const [m, v] of Object.entries(fails)) failed[m] = (failed[m] ?? 0) + v;
    for (const [code, n] of Object.entries(codes)) if (n) failureCodes[code] = (failureCodes[code] ?? 0) + n;
    sentBy.set(a.id, sent);
    for (const [url, n] of a.byDestination) {
      const id = urlToId.get(url);
      const was = b?.byDestination.get(url) ?? 0;
      if (id !== undefined) receivedBy.set(id, (receivedBy.get(id) ?? 0) + n - was);
    }
    suspicions += a.events.suspected - (b?.events.suspected ?? 0);
    removals += a.events.removed - (b?.events.removed ?? 0);
    for (const id of a.removedLog.slice(b?.events.removed ?? 0, a.events.removed)) removedIds.add(id);
  }
  const n = nodes ?? after.length;
  const perNodePerSec = (/** @type {number} */ v) => Math.round((v / n / seconds) * 1000) / 1000;
  const total = Object.values(totals).reduce((s, v) => s + v, 0);
  const sent = [...sentBy.values()];
  const received = [...receivedBy.values()];
  return {
    seconds: Math.round(seconds * 1000) / 1000,
    nodes: n,
    calls: totals,
    totalCalls: total,
    perNodePerSec: Object.fromEntries(Object.entries(totals).map(([m, v]) => [m, perNodePerSec(v)])),
    totalPerNodePerSec: perNodePerSec(total),
    sentPerSec: spread(sent, seconds),
    receivedPerSec: spread(received, seconds),
    failed,
    failureCodes,
    suspicions,
    removals,
    removedIds: [...removedIds].sort(),
  };
}

/**
 * min / max over nodes of a count, as a rate per second.
 * @param {number[]} values
 * @param {number} seconds
 */
function spread(values, seconds) {
  if (values.length === 0) return { min: null, max: null };
  const r = (/** @type {number} */ v) => Math.round((v / seconds) * 100) / 100;
  return { min: r(Math.min(...values)), max: r(Math.max(...values)) };
}

/**
 * Polls `check` every `intervalMs` until it returns a truthy value or `maxMs` pass. Resolves with
 * { ok, ms, value } where ms is the time from `since` (default: now) to the first successful check.
 * @template T
 * @param {() => T} check
 * @param {{ since?: number, maxMs: number, intervalMs?: number }} options
 * @returns {Promise<{ ok: true, ms: number, value: T } | { ok: false, ms: number, value?: undefined }>}
 */
export async function pollUntil(check, { since = performance.now(), maxMs, intervalMs = 20 }) {
  const deadline = since + maxMs;
  for (;;) {
    const value = check();
    const now = performance.now();
    if (value) return { ok: true, ms: now - since, value };
    if (now >= deadline) return { ok: false, ms: now - since };
    await sleep(Math.min(intervalMs, Math.max(1, deadline - now)));
  }
}

/**
 * Measures the bench process while a phase runs: event-loop delay (p50/p99/max in ms) and CPU use (% of one
 * core; the nodes, their HTTP servers and clients all run on this one loop).
 */
export function processMeter() {
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  return {
    stop() {
      loop.disable();
      const cpu = process.cpuUsage(cpu0);
      const seconds = (performance.now() - t0) / 1000;
      // The histogram holds each timer's whole wait, resolution included: subtract it to get the delay.
      const ms = (/** @type {number} */ ns) => Math.max(0, Math.round((ns - 10e6) / 1e4) / 100);
      return {
        loopDelayMs: { p50: ms(loop.percentile(50)), p99: ms(loop.percentile(99)), max: ms(loop.max) },
        cpuPercent: seconds > 0 ? Math.round(((cpu.user + cpu.system) / 1e6 / seconds) * 1000) / 10 : null,
      };
    },
  };
}

export { sleep };

/** A node whose start (its join) fails is replaced by a fresh one through another seed, at most this often. */
const START_ATTEMPTS = 3;

/**
 * Starts `size` nodes: a first one, then the others `batch` at a time (each batch concurrently, batches one
 * after another, none waiting for convergence), each joining through a random node started before its batch.
 * A join that fails (no answer from the seed within the peer timeout) is recorded and retried with a new node
 * and another seed. Growing stops early (`gaveUp` says why) when one place fails START_ATTEMPTS times or
 * `maxMs` have passed. Resolves with t0 (performance.now() just before the first join call), how long the
 * starts took, the failed joins, and how many nodes run.
 * @param {Network} net
 * @param {number} size
 * @param {{ batch?: number, maxMs?: number }} [options]
 */
export async function grow(net, size, { batch = 1, maxMs = Number.POSITIVE_INFINITY } = {}) {
  if (net.size === 0) await net.startNode();
  const t0 = performance.now();
  /** @type {{ atMs: number, error: string }[]} */
  const failedJoins = [];
  /** @type {string | undefined} */
  let gaveUp;
  /** @param {NetNode[]} before */
  const startOne = async (before) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await net.startNode(net.randomSeed(before).node.url);
      } catch (error) {
        const atMs = Math.round(performance.now() - t0);
        failedJoins.push({ atMs, error: error instanceof Error ? error.message : String(error) });
        if (attempt >= START_ATTEMPTS) gaveUp ??= `a node failed to join ${START_ATTEMPTS} times in a row`;
        else if (atMs > maxMs) gaveUp ??= `not every node had joined after ${maxMs} ms`;
        if (gaveUp) return undefined;
      }
    }
  };
  while (!gaveUp && net.running().length < size) {
    if (performance.now() - t0 > maxMs) {
      gaveUp = `not every node had joined after ${maxMs} ms`;
      break;
    }
    const before = net.running();
    const k = Math.min(batch, size - before.length);
    await Promise.all(Array.from({ length: k }, () => startOne(before)));
  }
  return { t0, startMs: performance.now() - t0, failedJoins, joined: net.running().length, gaveUp };
}

/**
 * Waits until every running node lists every running node alive (and nothing else). Samples the progress once
 * a second for the report. Resolves with { ok, ms (from `since`), last convergence(), timeline }.
 * @param {Network} net
 * @param {{ since?: number, maxMs: number, intervalMs?: number }} options
 */
export async function converge(net, { since = performance.now(), maxMs, intervalMs = 20 }) {
  /** @type {{ s: number, complete: number, missing: number }[]} */
  const timeline = [];
  let nextSample = since;
  /** @type {Convergence | undefined} */
  let last;
  const result = await pollUntil(
    () => {
      last = net.convergence();
      const now = performance.now();
      if (now >= nextSample) {
        timeline.push({
          s: Math.round((now - since) / 100) / 10,
          complete: last.complete,
          missing: last.missing,
        });
        nextSample = since + 1_000 * (Math.floor((now - since) / 1_000) + 1);
      }
      return last.complete === last.nodes;
    },
    { since, maxMs, intervalMs },
  );
  // pollUntil checks at least once, so `last` is set.
  return { ok: result.ok, ms: result.ms, last: /** @type {Convergence} */ (last), timeline };
}

/** @typedef {ReturnType<Network['convergence']>} Convergence */

/**
 * Ids of running nodes missing (or not alive) in the most lists, most first: who did not get around.
 * @param {Network} net
 */
export function laggards(net, top = 5) {
  const running = net.running();
  const misses = new Map(running.map((n) => [n.id, 0]));
  for (const { node } of running) {
    const alive = new Set(
      node.registry
        .list()
        .filter((m) => m.state === 'alive')
        .map((m) => m.id),
    );
    for (const [id, n] of misses) if (!alive.has(id)) misses.set(id, n + 1);
  }
  return [...misses]
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([id, missingFrom]) => ({ id, missingFrom }));
}

/**
 * Calls per node per second the protocol is designed to make at rest: probes plus one gossip pull.
 * @param {MembershipSettings} settings
 * @param {number} nodes
 */
export function restBudget(settings, nodes) {
  const watched = Math.min(settings.monitors, Math.max(0, nodes - 1));
  const probes = (watched * 1000) / settings.probeIntervalMs;
  const gossip = nodes > 1 ? 1000 / settings.gossipIntervalMs : 0;
  return { probes, gossip, total: probes + gossip };
}

/**
 * Calls every node sent to `url` between two `counts()` (all methods together).
 * @param {Counts} before
 * @param {Counts} after
 * @param {string} url
 */
export function callsTo(before, after, url) {
  const was = new Map(before.map((b) => [b.id, b.byDestination.get(url) ?? 0]));
  return after.reduce((sum, a) => sum + (a.byDestination.get(url) ?? 0) - (was.get(a.id) ?? 0), 0);
}
