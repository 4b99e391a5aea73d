// `npm run bench` (builds, then runs this): end-to-end benchmarks of meshchat. Progress goes to stderr; the
// report tables and, as the very last stdout line, one JSON object with every number go to stdout
// (`node bench/run.js | tail -n 1` gives the JSON). `node bench/run.js --help` lists the options.
//
// Four groups of scenarios: `fanout` (meshchat against the assignment's plain node, messages from one user to
// ten), `delivery` (meshchat with its durable outbox against meshchat --in-memory: the same fan-out, plus a
// backlog drain after a crash), `ops` (the same fan-out with --log-level info and /metrics scrapes against
// --log-level silent) and `membership` (join convergence, crash detection, requests at rest and the mesh
// directory of N in-process nodes), plus `accounts` (logins per second against one node).
import { existsSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { killAllChildren } from './lib/children.js';
import { groups, scenarios } from './scenarios/index.js';

/** @import { ScenarioResult } from './scenarios/index.js' */

// Whatever happens, the bench ends (and takes its children with it): after the sum of the selected scenarios'
// worst cases (their `budgetMs`, else this), plus a margin.
const DEFAULT_BUDGET_MS = 180_000;
const MARGIN_MS = 15_000;

const HELP = `Usage: node bench/run.js [options]        (npm run bench -- [options] builds first)

Runs every scenario unless --scenario picks some. Progress goes to stderr; the tables and, as the last stdout
line, one JSON object with every number go to stdout.

Scenarios (--scenario takes a name or a group; repeatable):
${scenarios.map((s) => `  ${s.name.padEnd(18)} [${s.group}] ${s.title}`).join('\n')}
  e.g. --scenario membership (the membership scenarios and directory), --scenario fanout, --scenario delivery,
  --scenario ops

General:
  --quick              small counts, a smoke test
  --help               this text

fanout (meshchat vs the plain node):
  --messages N         throughput phase messages (10000; quick 1000)
  --latency N          sequential messages (1000; quick 200)
  --warmup N           warm-up messages (2000; quick 200)
  --window N           messages in flight in the throughput phase (100)
  --receivers N        users on node B (10)
  --pad BYTES          message size padding (0)
  --rounds N           rounds, order alternating (2; quick 1)
  --meshchat MODE      process (default) or inprocess
  --order LIST         meshchat,plain (default) or one of them

delivery (meshchat --data-dir vs --in-memory, child processes; --messages, --latency, --warmup, --window,
          --receivers, --pad and --rounds as for fanout; about 1 min by default, 15 s with --quick):
  --backlog N          messages queued at A while B is down (SIGKILL), then drained when B restarts with the
                       same id, port and data dir (2000; quick 500)

ops (meshchat --log-level info, /metrics of both nodes scraped every second during throughput, vs --log-level
     silent; child processes with their data dirs; --messages, --latency, --warmup, --window, --receivers, --pad
     and --rounds as for fanout; about 75 s by default, 20 s with --quick). The audit lines on each node's stderr
     are counted and checked against the messages it accepted.

load (meshchat as child processes with their data dirs, against the plain node; one pair per system per round):
  --load-rates LIST    open-loop rates in msgs/s (1000,3000)
  --load-seconds N     seconds each rate (and the overload) is offered (5; quick 2)
  --overload X         the overload as a multiple of the pair's own closed-loop peak (2)
  --open-only          only the open-loop rates: no closed-loop peak and no overload (a quick look at latency,
                       e.g. --open-only --load-rates 1000 --load-seconds 5); --order picks the systems
  --no-floor           without the floor nodes (bench/lib/floor-node.js: the plain node's user protocol with
                       nothing else on the path, one WebSocket between the nodes), which run the same rounds by
                       default: what this machine and the bench allow any node
  (the closed-loop peak uses --messages, --window and --warmup)

users (one node of a pair as a child process, its users in forked client processes on loopback):
  --idle-users N       idle socket.io users on the node (10000; quick 1000)
  --client-processes N processes holding them (2; at least one per 5,000 users)

links (two in-process meshchat nodes, with and without peer links; a few seconds):
  --link-messages N    messages counted (1000; quick 200)

membership (nodes built in the bench process with createNode, LAN profile, on 127.0.0.1):
  --join-sizes LIST    network sizes for join convergence (10,25,50; quick 10,25)
  --join-batch LIST    nodes started concurrently per batch: 1 = one after another, each start awaited
                       (1,5); every node joins through a random node started before its batch
  --crash-nodes N      network size for crash detection (10)
  --crashes N          crashes to time per mode, a fresh node replacing each one (3; quick 2)
  --crash-modes LIST   refused (the node's port is closed) and/or hung (it accepts, never answers)
                       (refused,hung)
  --rest-sizes LIST    network sizes for requests at rest (10,25; quick 10)
  --rest-seconds N     counting window at rest (10; quick 5)
  directory (GET /users?scope=mesh of N nodes, users registered over loopback HTTP):
  --directory-nodes LIST     network sizes (10,50; quick 10)
  --directory-users N        users per node, POST /users + POST /sessions (2)
  --directory-requests N     GET /users?scope=mesh timed, in a row over up to 4 nodes (200; quick 100)
  --directory-rest-seconds N window counting the directory's pulls at rest (10; quick 5)

files (four meshchat node processes with data dirs; a plain GET from the holder against a node that fetches
       the file, directly and through a relay; CPU per GiB; RSS while a large file moves; requests per GB):
  MESHCHAT_BENCH_FILE_MIB=N        the file timed (512; quick 64)
  MESHCHAT_BENCH_RSS_MIB=N         the file moved while RSS is sampled (2048; quick 128)
  MESHCHAT_BENCH_CPU_PROF_DIR=DIR  run the nodes with --cpu-prof into DIR

catalog (the mesh catalog's copies in SQLite with FTS5, in the bench process; about 30 s):
  --catalog-entries N  records copied from the fake peers (100000; quick 10000)
  --catalog-peers N    fake peers they come from (100)
  --catalog-searches N searches timed (1000; quick 200)

signatures (in the bench process: the receive path of one node's messaging, --messages messages from one node in
  batches of 100, with and without a signature check per message; --rounds rounds)

accounts (one node built in the bench process with a data dir and the real scrypt hasher):
  --logins N           POST /sessions to time (400; quick 50)
  --login-users N      accounts registered first, logged in to in turn (20; quick 5)
  --login-concurrency N  logins in flight (8)
`;

/**
 * @param {string} message
 * @returns {never}
 */
function fail(message, code = 2) {
  process.stderr.write(`bench: ${message}\n`);
  killAllChildren();
  process.exit(code);
}

/** The command line's flags as given (no defaults applied but the booleans', --meshchat's and --order's). */
function flags() {
  try {
    return parseArgs({
      allowNegative: true,
      options: {
        help: { type: 'boolean', short: 'h', default: false },
        quick: { type: 'boolean', default: false },
        scenario: { type: 'string', multiple: true },
        messages: { type: 'string' },
        latency: { type: 'string' },
        warmup: { type: 'string' },
        window: { type: 'string' },
        receivers: { type: 'string' },
        pad: { type: 'string' },
        rounds: { type: 'string' },
        backlog: { type: 'string' },
        meshchat: { type: 'string', default: 'process' },
        order: { type: 'string', default: 'meshchat,plain' },
        'link-messages': { type: 'string' },
        'load-rates': { type: 'string' },
        'load-seconds': { type: 'string' },
        overload: { type: 'string' },
        'open-only': { type: 'boolean', default: false },
        floor: { type: 'boolean', default: true },
        'idle-users': { type: 'string' },
        'client-processes': { type: 'string' },
        'join-sizes': { type: 'string' },
        'join-batch': { type: 'string' },
        'crash-nodes': { type: 'string' },
        crashes: { type: 'string' },
        'crash-modes': { type: 'string' },
        'rest-sizes': { type: 'string' },
        'rest-seconds': { type: 'string' },
        'directory-nodes': { type: 'string' },
        'directory-users': { type: 'string' },
        'directory-requests': { type: 'string' },
        'directory-rest-seconds': { type: 'string' },
        'catalog-entries': { type: 'string' },
        'catalog-peers': { type: 'string' },
        'catalog-searches': { type: 'string' },
        logins: { type: 'string' },
        'login-users': { type: 'string' },
        'login-concurrency': { type: 'string' },
      },
    }).values;
  } catch (error) {
    return fail(error instanceof Error ? error.message : String(error));
  }
}

/**
 * @param {string} s
 * @returns {s is 'meshchat' | 'plain'}
 */
function isSystem(s) {
  return s === 'meshchat' || s === 'plain';
}

/**
 * @param {string} s
 * @returns {s is 'refused' | 'hung'}
 */
function isCrashMode(s) {
  return s === 'refused' || s === 'hung';
}

/** @typedef {ReturnType<typeof options>} BenchOptions the bench's settings, what every scenario is given */

function options() {
  const values = flags();
  /**
   * @param {keyof typeof values} flag
   * @param {number} fallback
   * @param {number} min
   * @param {number} max
   */
  const int = (flag, fallback, min, max) => {
    if (values[flag] === undefined) return fallback;
    const n = Number(values[flag]);
    if (!Number.isInteger(n) || n < min || n > max)
      fail(`--${flag} must be a whole number from ${min} to ${max}`);
    return n;
  };
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  /**
   * @param {keyof typeof values} flag
   * @param {number[]} fallback
   * @param {number} min
   * @param {number} max
   */
  const list = (flag, fallback, min, max) => {
    const value = values[flag];
    if (typeof value !== 'string') return fallback;
    const items = value.split(',').map((v) => Number(v.trim()));
    if (items.length === 0 || items.some((n) => !Number.isInteger(n) || n < min || n > max))
      fail(`--${flag} must be a comma-separated list of whole numbers from ${min} to ${max}`);
    return items;
  };
  const crashModes = (value = 'refused,hung') => {
    const modes = [...new Set(value.split(',').map((m) => m.trim()))];
    return modes.length > 0 && modes.every(isCrashMode)
      ? modes
      : fail('--crash-modes lists refused and/or hung');
  };
  const overloadFactor = (value = '2') => {
    const x = Number(value);
    return Number.isFinite(x) && x > 0 && x <= 20
      ? x
      : fail('--overload must be a number above 0, at most 20');
  };
  /** @type {'process' | 'inprocess'} */
  const meshchatMode =
    values.meshchat === 'process' || values.meshchat === 'inprocess'
      ? values.meshchat
      : fail('--meshchat must be "process" or "inprocess"');
  const systems = values.order.split(',').map((s) => s.trim());
  /** @type {('meshchat' | 'plain')[]} */
  const order = systems.every(isSystem) ? systems : fail('--order lists meshchat and/or plain');
  const quick = values.quick;
  return {
    scenarios: values.scenario,
    receivers: int('receivers', 10, 1, 100),
    warmup: int('warmup', quick ? 200 : 2000, 0, 100_000),
    latency: int('latency', quick ? 200 : 1000, 1, 100_000),
    messages: int('messages', quick ? 1000 : 10_000, 1, 1_000_000),
    window: int('window', 100, 1, 10_000),
    padBytes: int('pad', 0, 0, 60_000),
    rounds: int('rounds', quick ? 1 : 2, 1, 10),
    backlog: int('backlog', quick ? 500 : 2000, 1, 100_000),
    messageTimeoutMs: 5_000, // a message not at every receiver by then frees its window slot (counted lost)
    // Time limits per phase, so a slow or overloaded machine still finishes in about two minutes.
    warmupMaxMs: 4_000,
    latencyMaxMs: 8_000,
    throughputMaxMs: 12_000,
    meshchatMode,
    order,
    linkMessages: int('link-messages', quick ? 200 : 1000, 1, 100_000),
    // load
    loadRates: list('load-rates', [1000, 3000], 1, 100_000),
    loadSeconds: int('load-seconds', quick ? 2 : 5, 1, 120),
    overload: overloadFactor(values.overload),
    openOnly: values['open-only'],
    floor: values.floor,
    // users
    idleUsers: int('idle-users', quick ? 1000 : 10_000, 1, 100_000),
    clientProcesses: int('client-processes', 2, 1, 32),
    // membership
    joinSizes: list('join-sizes', quick ? [10, 25] : [10, 25, 50], 2, 100),
    joinBatches: list('join-batch', [1, 5], 1, 100),
    crashNodes: int('crash-nodes', 10, 3, 100),
    crashes: int('crashes', quick ? 2 : 3, 1, 20),
    crashModes: crashModes(values['crash-modes']),
    restSizes: list('rest-sizes', quick ? [10] : [10, 25], 2, 100),
    restSeconds: int('rest-seconds', quick ? 5 : 10, 1, 120),
    directorySizes: list('directory-nodes', quick ? [10] : [10, 50], 2, 100),
    directoryUsers: int('directory-users', 2, 1, 100),
    directoryRequests: int('directory-requests', quick ? 100 : 200, 1, 100_000),
    directoryRestSeconds: int('directory-rest-seconds', quick ? 5 : 10, 1, 120),
    restSettleMs: 3_000, // after convergence, before counting at rest (join-time announces and probes end)
    convergeMaxMs: 60_000, // a network not converged by then is reported as such
    detectMaxMs: 30_000, // a crashed node still listed by then is reported as not detected
    // catalog
    catalogEntries: int('catalog-entries', quick ? 10_000 : 100_000, 1, 1_000_000),
    catalogPeers: int('catalog-peers', 100, 1, 1_000),
    catalogSearches: int('catalog-searches', quick ? 200 : 1000, 1, 100_000),
    // accounts
    logins: int('logins', quick ? 50 : 400, 1, 100_000),
    loginUsers: int('login-users', quick ? 5 : 20, 1, 10_000),
    loginConcurrency: int('login-concurrency', 8, 1, 1000),
    // files (sizes from MESHCHAT_BENCH_FILE_MIB and MESHCHAT_BENCH_RSS_MIB)
    filesQuick: quick,
  };
}

async function main() {
  const opts = options();
  if (!existsSync(new URL('../dist/container.js', import.meta.url)))
    fail('dist/ is missing: run `npm run build` first');
  const known = [...scenarios.map((s) => s.name), ...groups];
  const unknown = (opts.scenarios ?? []).filter((n) => !known.includes(n));
  if (unknown.length > 0)
    fail(`no scenario or group named ${unknown.join(', ')} (have: ${known.join(', ')})`);
  const picked = opts.scenarios;
  const selected = picked
    ? scenarios.filter((s) => picked.includes(s.name) || picked.includes(s.group))
    : scenarios;

  const hardLimitMs =
    selected.reduce((sum, s) => sum + (s.budgetMs ? s.budgetMs(opts) : DEFAULT_BUDGET_MS), 0) + MARGIN_MS;
  const hardLimit = setTimeout(
    () => fail(`still running after ${Math.round(hardLimitMs / 1000)} s: stopped`, 1),
    hardLimitMs,
  );
  hardLimit.unref();
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'])
    process.once(signal, () => fail(`${signal}: stopped`, 130));

  const startedAt = new Date();
  /** @param {string} line */
  const log = (line) =>
    process.stderr.write(`[bench ${((Date.now() - startedAt.getTime()) / 1000).toFixed(1)}s] ${line}\n`);
  const cpu = cpus();
  const environment = {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: cpu.length,
    cpuModel: cpu[0]?.model?.trim(),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
  };
  const where = [];
  if (selected.some((s) => s.group === 'fanout'))
    where.push(
      `fan-out: meshchat nodes ${opts.meshchatMode === 'process' ? 'as child processes' : 'in the bench process'}, plain nodes as child processes`,
    );
  if (selected.some((s) => s.group === 'delivery'))
    where.push('delivery: meshchat nodes as child processes, --data-dir (temp dirs) vs --in-memory');
  if (selected.some((s) => s.group === 'ops'))
    where.push('ops: meshchat nodes as child processes, --log-level info (+ /metrics scrapes) vs silent');
  if (selected.some((s) => s.group === 'load'))
    where.push('load: meshchat (--data-dir) and plain nodes as child processes, open loop');
  if (selected.some((s) => s.group === 'users'))
    where.push('users: one node of each system as a child process, its users in forked processes');
  if (selected.some((s) => s.group === 'membership'))
    where.push('membership: meshchat nodes in the bench process');
  if (selected.some((s) => s.group === 'accounts'))
    where.push('accounts: one meshchat node in the bench process, with a data dir');
  process.stdout.write(
    `meshchat bench: ${environment.node}, ${environment.cpus} x ${environment.cpuModel ?? 'cpu'}; ${where.join('; ')}\n`,
  );

  /** @type {Record<string, ScenarioResult>} */
  const results = {};
  let ok = true;
  for (const scenario of selected) {
    log(`scenario ${scenario.name}: ${scenario.title}`);
    /** @type {ScenarioResult} */
    let result;
    try {
      result = await scenario.run({ options: opts, log });
    } catch (error) {
      result = { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
    results[scenario.name] = result;
    ok &&= result.ok !== false;
    process.stdout.write(`\n${scenario.name}: ${scenario.title}\n`);
    process.stdout.write(`${result.error ? `  FAILED: ${result.error}` : scenario.report(result)}\n`);
  }

  const summary = {
    bench: 'meshchat',
    startedAt: startedAt.toISOString(),
    seconds: Math.round((Date.now() - startedAt.getTime()) / 100) / 10,
    ok,
    environment,
    options: opts,
    scenarios: results,
  };
  process.stdout.write(`\n${JSON.stringify(summary)}\n`);
  clearTimeout(hardLimit);
  killAllChildren(); // normally none left
  return ok ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
    // socket.io-client timers or half-closed sockets must not keep a finished bench alive.
    setTimeout(() => process.exit(code), 500).unref();
  },
  (error) => fail(error instanceof Error ? (error.stack ?? error.message) : String(error), 1),
);
