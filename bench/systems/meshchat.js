// Two meshchat nodes, B joined to A, built from ../../dist (run `npm run build` first).
// mode 'process' (default): each node is its own `meshchat node` child process, like a real deployment, so
//   neither node shares an event loop with the other or with the bench's socket.io clients.
// mode 'inprocess': both nodes are created with createNode() inside the bench process (handy for profiling;
//   the bench's own clients then compete with the nodes for the same event loop).
// storage 'disk': each node keeps its state in SQLite in a temp data dir (removed at stop); 'memory': nothing on
//   disk (`--in-memory`). Default: disk for processes, memory in process (what each mode always did).
// fixedPorts (process mode): free ports are picked up front and given as `--port`, so `restart` brings a node
//   back with exactly the arguments, and at the URL, it had.
// execArgv (process mode): options for node itself in each child, e.g. ['--cpu-prof', '--cpu-prof-dir', DIR]
//   (a profile is written when a node exits on SIGTERM, as `stop` does; not after `kill` with SIGKILL).
// logLevel (process mode): each node's `--log-level` ('silent' unless given; at 'info' a node writes its JSON
//   log, audit lines included, to stderr). onStderr(which, chunk) (process mode): also sees every chunk of
//   the stderr of node `which` ('a' or 'b') as it arrives (stderr is drained to a pipe either way), a
//   restarted node's too.
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startChild } from '../lib/children.js';
import { freePorts } from '../lib/ports.js';

/** @import { Child } from '../lib/children.js' */
/** @import { NodesCpu } from '../lib/fanout.js' */
/** @typedef {Parameters<typeof import('../../dist/container.js').createNode>[0]} NodeConfig */

/** @typedef {'a' | 'b'} Which one node of a pair */
/** @typedef {{ id: string, url: string, pid?: number | undefined }} PairNode */

/**
 * Two meshchat nodes, B joined to A.
 * @typedef {object} MeshchatPair
 * @property {'meshchat'} system
 * @property {'process' | 'inprocess'} mode
 * @property {'disk' | 'memory'} storage
 * @property {PairNode} a
 * @property {PairNode} b
 * @property {() => NodesCpu} cpuSeconds
 * @property {(which: Which, signal?: NodeJS.Signals) => Promise<number | null>} kill
 * @property {(which: Which, options?: { args?: string[] }) => Promise<PairNode>} restart
 * @property {() => Promise<void>} stop
 */

const UNLIMITED = { ratePerSecond: 0, burst: 0 };

const GUARDED_CLI = fileURLToPath(new URL('../lib/guarded-cli.js', import.meta.url));

// Data directories still to remove if the bench exits early (Ctrl-C, time limit).
/** @type {Set<string>} */
const dataDirs = new Set();
process.on('exit', () => {
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

/**
 * @param {object} [options]
 * @param {'process' | 'inprocess'} [options.mode]
 * @param {readonly [string, string]} [options.ids]
 * @param {'disk' | 'memory'} [options.storage]
 * @param {boolean} [options.fixedPorts]
 * @param {readonly string[]} [options.execArgv]
 * @param {string} [options.logLevel]
 * @param {(which: Which, chunk: string) => void} [options.onStderr]
 * @param {number} [options.fdLimit] process mode: each node's open-file limit (see startChild)
 * @returns {Promise<MeshchatPair>}
 */
export async function startMeshchatPair({
  mode = 'process',
  ids = ['mesh-a', 'mesh-b'],
  storage = mode === 'process' ? 'disk' : 'memory',
  fixedPorts = false,
  execArgv = [],
  logLevel = 'silent',
  onStderr,
  fdLimit,
} = {}) {
  if (!['disk', 'memory'].includes(storage)) throw new Error(`unknown storage "${storage}"`);
  if (mode === 'inprocess' && (logLevel !== 'silent' || onStderr))
    throw new Error('logLevel and onStderr need mode "process"');
  return mode === 'inprocess'
    ? startInProcess(ids, storage)
    : startProcesses(ids, storage, fixedPorts, execArgv, logLevel, onStderr, fdLimit);
}

/**
 * @param {readonly [string, string]} ids
 * @param {'disk' | 'memory'} storage
 * @param {boolean} fixedPorts
 * @param {readonly string[]} execArgv
 * @param {string} logLevel
 * @param {((which: Which, chunk: string) => void) | undefined} onStderr
 * @param {number | undefined} fdLimit
 * @returns {Promise<MeshchatPair>}
 */
async function startProcesses([idA, idB], storage, fixedPorts, execArgv, logLevel, onStderr, fdLimit) {
  const dataDir = storage === 'disk' ? await mkdtemp(join(tmpdir(), 'meshchat-bench-')) : undefined;
  if (dataDir) dataDirs.add(dataDir);
  const [portA = 0, portB = 0] = fixedPorts ? await freePorts(2) : [];
  /** @type {Child[]} */
  const started = [];
  const stop = async () => {
    await Promise.all(started.reverse().map((p) => p.stop()));
    if (dataDir) {
      await rm(dataDir, { recursive: true, force: true });
      dataDirs.delete(dataDir);
    }
  };
  /**
   * @param {Which} which
   * @param {string} id
   * @param {number} port
   * @param {string} [joinUrl]
   * @param {readonly string[]} [extraArgs]
   */
  const startNode = async (which, id, port, joinUrl, extraArgs = []) => {
    const args = [
      GUARDED_CLI,
      'node',
      '--id',
      id,
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      '--log-level',
      logLevel,
      // The fan-out measures one user's top throughput (thousands of sends a second on one connection), which
      // the default per-connection and per-address limits are there to refuse: those budgets are lifted, every
      // other one is kept.
      '--send-rate',
      '0',
      '--address-rate',
      '0',
    ];
    if (dataDir) args.push('--data-dir', join(dataDir, id));
    else args.push('--in-memory');
    if (joinUrl) args.push('--join', joinUrl);
    args.push(...extraArgs);
    const node = await startChild({
      name: `meshchat node ${id}`,
      args,
      execArgv,
      // Not inherited from the bench's environment: they would override nothing given as a flag, but be safe.
      env: {
        MESHCHAT_JOIN: '',
        MESHCHAT_PUBLIC_URL: '',
        MESHCHAT_TUNNEL: 'none',
        MESHCHAT_DATA_DIR: '',
        MESHCHAT_IN_MEMORY: '',
        MESHCHAT_HISTORY: '',
      },
      ready: /^meshchat node \S+ listening at (\S+)$/,
      onStderr: onStderr && ((chunk) => onStderr(which, chunk)),
      ...(fdLimit === undefined ? {} : { fdLimit }),
    });
    started.push(node);
    return node;
  };
  try {
    const a = await startNode('a', idA, portA);
    const nodes = { a, b: await startNode('b', idB, portB, a.url) };
    /** @type {Record<Which, { id: string, port: number, join?: () => string }>} */
    const plan = { a: { id: idA, port: portA }, b: { id: idB, port: portB, join: () => nodes.a.url } };
    /** @type {MeshchatPair} */
    const pair = {
      system: 'meshchat',
      mode: 'process',
      storage,
      a: { id: idA, url: nodes.a.url, pid: nodes.a.pid },
      b: { id: idB, url: nodes.b.url, pid: nodes.b.pid },
      cpuSeconds: () => ({ a: nodes.a.cpuSeconds(), b: nodes.b.cpuSeconds() }),
      /** Stops node 'a' or 'b' with `signal` (SIGKILL: a crash; its data dir stays as the crash left it). */
      kill: (which, signal = 'SIGKILL') => nodes[which].stop(signal),
      /**
       * Starts node 'a' or 'b' again after `kill`: same id, port (with fixedPorts), data dir and join; `args`
       * are added to its flags. Resolves once it is listening (it has joined by then).
       */
      restart: async (which, { args = [] } = {}) => {
        const { id, port, join: joinUrl } = plan[which];
        if (port === 0) throw new Error('restart needs fixedPorts: the node would come back at another URL');
        nodes[which] = await startNode(which, id, port, joinUrl?.(), args);
        pair[which] = { id, url: nodes[which].url, pid: nodes[which].pid };
        return pair[which];
      },
      stop,
    };
    return pair;
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * @param {readonly [string, string]} ids
 * @param {'disk' | 'memory'} storage
 * @returns {Promise<MeshchatPair>}
 */
async function startInProcess([idA, idB], storage) {
  await import('reflect-metadata');
  const { createNode } = await import('../../dist/container.js');
  const dataDir = storage === 'disk' ? await mkdtemp(join(tmpdir(), 'meshchat-bench-')) : undefined;
  if (dataDir) dataDirs.add(dataDir);
  /**
   * @param {string} id
   * @param {string[]} join
   * @returns {NodeConfig}
   */
  const config = (id, join) => ({
    id,
    port: 0,
    host: '127.0.0.1',
    join,
    tunnel: 'none',
    ...(dataDir ? { dataDir: `${dataDir}/${id}` } : {}),
    // As in process mode: one user's top throughput is measured, so its per-connection and per-address
    // budgets are lifted.
    rateLimits: { connection: UNLIMITED, account: UNLIMITED, address: UNLIMITED },
  });
  /** @type {ReturnType<typeof createNode>[]} */
  const nodes = [];
  const stop = async () => {
    for (const node of nodes.reverse()) await node.stop();
    if (dataDir) {
      await rm(dataDir, { recursive: true, force: true });
      dataDirs.delete(dataDir);
    }
  };
  const unsupported = () => Promise.reject(new Error('kill and restart need mode "process"'));
  try {
    const a = createNode(config(idA, []));
    nodes.push(a);
    await a.start();
    const b = createNode(config(idB, [a.url]));
    nodes.push(b);
    await b.start();
    return {
      system: 'meshchat',
      mode: 'inprocess',
      storage,
      a: { id: idA, url: a.url },
      b: { id: idB, url: b.url },
      cpuSeconds: () => ({ a: undefined, b: undefined }),
      kill: unsupported,
      restart: unsupported,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
