// Scenario: downloading a file from a node that does not hold it, against a plain GET of the same file. Every node
// runs as its own `meshchat node` child process (data dirs in a temp dir, 127.0.0.1), like a real deployment. A
// publishes a file; a client GETs it from A (the baseline: bytes read from A's store); then from B, which fetches
// it from A (one request, every chunk checked, journaled, written to B's disk) and passes on verified bytes; then
// from C, which cannot reach A or B and gets it through R (R fetches from A, C from R). C's refusal is arranged by
// bench/lib/guarded-cli.js (MESHCHAT_BENCH_REFUSE_FILES: its file fetches to A and B fail as if unreachable), which
// also reports each file fetch a node makes on stderr, for the count. Reported as throughput ratios against the
// baseline, with CPU seconds per GiB of A and B, the requests the fetching nodes made per GB moved (B's counted
// from A's `GET /files/:id/downloads` too) and B's process RSS growth (/proc/<pid>/status VmRSS, sampled every
// 50 ms) while a large file moves A → B. Sizes: MESHCHAT_BENCH_FILE_MIB (512; quick 64) and MESHCHAT_BENCH_RSS_MIB
// (2048; quick 128). MESHCHAT_BENCH_CPU_PROF_DIR, when set, runs every node with `--cpu-prof` into that directory.
// The floor: the same GETs through bench/lib/floor-file-proxy.js processes instead of B (and R and C), which do
// only the checks SPEC 6 asks of a node passing a file on (each chunk, then the whole, before the last chunk
// leaves) and nothing else (no disk, no journal): what this machine allows a verifying node, in the same run.

import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { processCpuSeconds, startChild } from '../lib/children.js';
import { fixed, table } from '../lib/table.js';

const GUARDED_CLI = fileURLToPath(new URL('../lib/guarded-cli.js', import.meta.url));
const FLOOR_PROXY = fileURLToPath(new URL('../lib/floor-file-proxy.js', import.meta.url));

/**
 * A process's resident set in bytes, from /proc/<pid>/status (VmRSS); 0 where that cannot be read.
 * @param {number | undefined} pid
 */
function rssOf(pid) {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** @import { BenchOptions } from '../run.js' */

export const name = 'files';
export const group = 'files';
export const title = 'GET /files/:id from a node that fetches it (direct, via a relay) vs a plain GET';

const MiB = 1024 * 1024;
const PASSWORD = 'bench password 123';

/** CPU seconds a process used so far (0 where /proc cannot tell). @param {number | undefined} pid */
const cpuOf = (pid) => processCpuSeconds(pid) ?? 0;

/**
 * System CPU seconds a process used so far (the kernel's share: socket and file copies), from /proc/<pid>/stat
 * at 100 ticks a second; 0 where that cannot be read.
 * @param {number | undefined} pid
 */
function systemCpuOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[12]) / 100;
  } catch {
    return 0;
  }
}

/**
 * CPU ticks (user, system; 1/100 s) of each thread of a process, summed by thread name (`node` is the main
 * thread; V8's helper threads, libuv's pool): where a node spends, read around one transfer.
 * @param {number | undefined} pid
 * @returns {Map<string, [number, number]>}
 */
function threadTicksOf(pid) {
  /** @type {Map<string, [number, number]>} */
  const ticks = new Map();
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const stat = readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8');
      const name = task === String(pid) ? 'main' : stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const [user, system] = ticks.get(name) ?? [0, 0];
      ticks.set(name, [user + Number(fields[11]), system + Number(fields[12])]);
    }
  } catch {
    // A thread that ended while being read: what was read.
  }
  return ticks;
}

/** `name user+system` per thread group that used any CPU between two readings of `threadTicksOf`. */
function threadTicksBetween(
  /** @type {Map<string, [number, number]>} */ before,
  /** @type {Map<string, [number, number]>} */ after,
) {
  const parts = [];
  for (const [name, [user, system]] of after) {
    const [user0, system0] = before.get(name) ?? [0, 0];
    if (user - user0 + system - system0 > 0) parts.push(`${name} ${user - user0}+${system - system0}`);
  }
  return parts.join(', ');
}

/** @param {BenchOptions} options */
function sizes(options) {
  /** @param {string} name @param {number} fallback */
  const env = (name, fallback) => {
    const n = Number(process.env[name]);
    return Number.isInteger(n) && n > 0 ? n : fallback;
  };
  return {
    fileMiB: env('MESHCHAT_BENCH_FILE_MIB', options.filesQuick ? 64 : 512),
    rssMiB: env('MESHCHAT_BENCH_RSS_MIB', options.filesQuick ? 128 : 2048),
  };
}

/** @param {BenchOptions} options */
export function budgetMs(options) {
  const { fileMiB, rssMiB } = sizes(options);
  // A slow, loaded disk: 20 MiB/s for everything written and read, several times over.
  return 60_000 + ((fileMiB * 10 + rssMiB * 4) / 20) * 1000;
}

/**
 * Writes `mib` MiB of bytes that differ per chunk (a random block with the chunk's number in front).
 * @param {string} path
 * @param {number} mib
 */
async function makeFile(path, mib) {
  const block = randomBytes(MiB);
  const out = createWriteStream(path);
  const hash = createHash('sha256');
  for (let i = 0; i < mib; i++) {
    block.writeUInt32BE(i, 0);
    hash.update(block);
    if (!out.write(Buffer.from(block)))
      await new Promise((resolve) => out.once('drain', () => resolve(undefined)));
  }
  await new Promise((resolve) => out.end(() => resolve(undefined)));
  return hash.digest('hex');
}

/**
 * Streams a file from disk as an upload body.
 * @param {string} path
 */
async function* fileBody(path) {
  const handle = await open(path, 'r');
  try {
    for await (const piece of handle.createReadStream({ highWaterMark: MiB })) yield piece;
  } finally {
    await handle.close();
  }
}

/**
 * GETs a URL and reads the body to its end, hashing it; resolves with the time, size and SHA-256.
 * @param {string} url
 */
async function timedGet(url) {
  const started = performance.now();
  const response = await fetch(url);
  if (response.status !== 200) throw new Error(`GET ${url}: ${response.status} ${await response.text()}`);
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const piece of /** @type {AsyncIterable<Uint8Array>} */ (response.body)) {
    hash.update(piece);
    bytes += piece.length;
  }
  return { ms: performance.now() - started, bytes, sha: hash.digest('hex') };
}

/** @param {{ options: BenchOptions, log: (line: string) => void }} context */
export async function run({ options, log }) {
  const { fileMiB, rssMiB } = sizes(options);
  const work = mkdtempSync(join(tmpdir(), 'meshchat-bench-files-'));
  /** @type {import('../lib/children.js').Child[]} */
  const children = [];
  /**
   * Starts a node as its own `meshchat node` process, no rate limit, files up to 8 GiB.
   * @param {string} id @param {string[]} peers
   */
  const startProcess = async (id, peers, /** @type {Record<string, string>} */ extraEnv = {}) => {
    let fetches = 0;
    const dataDir = mkdtempSync(join(work, `${id}-`));
    const args = [GUARDED_CLI, 'node', '--id', id, '--port', '0', '--host', '127.0.0.1', '--tunnel', 'none'];
    args.push('--data-dir', dataDir, '--max-file-size', '8G', '--log-level', 'silent');
    args.push('--http-rate', '0', '--peer-rate', '0');
    for (const peer of peers) args.push('--join', peer);
    const profileDir = process.env.MESHCHAT_BENCH_CPU_PROF_DIR;
    const child = await startChild({
      name: `meshchat node ${id}`,
      args,
      execArgv: profileDir
        ? ['--cpu-prof', '--cpu-prof-dir', profileDir, '--cpu-prof-name', `${id}.cpuprofile`]
        : [],
      env: {
        MESHCHAT_JOIN: '',
        MESHCHAT_PUBLIC_URL: '',
        MESHCHAT_DATA_DIR: '',
        MESHCHAT_IN_MEMORY: '',
        MESHCHAT_BENCH_COUNT_FILE_FETCHES: '1',
        ...extraEnv,
      },
      ready: /^meshchat node \S+ listening at (\S+)$/,
      timeoutMs: 60_000,
      // Each file fetch the node makes is a line (bench/lib/guarded-cli.js); lines may be split across chunks.
      onStderr: (chunk) => {
        fetches += chunk.split('meshchat-bench: file fetch').length - 1;
      },
    });
    children.push(child);
    return Object.assign(child, { fetches: () => fetches });
  };
  /** @param {string} url @param {string} token @param {string} name @param {string} path */
  const publish = async (url, token, name, path) => {
    const size = statSync(path).size;
    const answer = await fetch(`${url}/files?name=${encodeURIComponent(name)}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-length': String(size) },
      body: /** @type {any} */ (ReadableStreamFrom(fileBody(path))),
      duplex: 'half',
    });
    if (answer.status !== 201) throw new Error(`publish: ${answer.status} ${await answer.text()}`);
    return /** @type {{ file: { id: string } }} */ (await answer.json()).file.id;
  };
  /** @param {string} url @param {string} id */
  const untilListed = async (url, id) => {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if ((await fetch(`${url}/files/${id}/record`)).status === 200) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`${url} never listed ${id}`);
  };
  try {
    log(`files: writing a ${fileMiB} MiB and a ${rssMiB} MiB file`);
    const small = join(work, 'file.bin');
    const large = join(work, 'large.bin');
    const smallId = await makeFile(small, fileMiB);
    const largeId = await makeFile(large, rssMiB);

    const a = await startProcess('files-a', []);
    const nodeB = await startProcess('files-b', [a.url]);
    const registered = await fetch(`${a.url}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'alice', password: PASSWORD }),
    });
    if (registered.status !== 201) throw new Error(`register: ${registered.status}`);
    const session = await fetch(`${a.url}/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'alice', password: PASSWORD }),
    });
    const { token } = /** @type {{ token: string }} */ (await session.json());
    const id = await publish(a.url, token, 'file.bin', small);
    if (id !== smallId) throw new Error('the published id is not the file SHA-256');
    await untilListed(nodeB.url, id);

    log('files: plain GET from A (the baseline)');
    const plainCpuA = cpuOf(a.pid);
    const plain = await timedGet(`${a.url}/files/${id}`);
    const plainCpu = { a: cpuOf(a.pid) - plainCpuA };
    log('files: the floor, A → P and A → P → Q (verifying proxies: no disk, no journal)');
    const startProxy = async (/** @type {string} */ upstream) => {
      const proxy = await startChild({
        name: `floor proxy of ${upstream}`,
        args: [FLOOR_PROXY, '--upstream', upstream, '--records', a.url],
        ready: /^FLOOR_PROXY_URL=(\S+)$/,
      });
      children.push(proxy);
      return proxy;
    };
    const proxyP = await startProxy(a.url);
    const proxyQ = await startProxy(proxyP.url);
    const floorCpuP = cpuOf(proxyP.pid);
    const floorDirect = await timedGet(`${proxyP.url}/files/${id}`);
    const floorCpu = { p: cpuOf(proxyP.pid) - floorCpuP };
    const floorRelayed = await timedGet(`${proxyQ.url}/files/${id}`);
    await Promise.all([proxyP.stop(), proxyQ.stop()]);
    log(`files: A → B, verified and written at B`);
    const directCpuA = cpuOf(a.pid);
    const directCpuB = cpuOf(nodeB.pid);
    const directSysB = systemCpuOf(nodeB.pid);
    const directThreadsB = threadTicksOf(nodeB.pid);
    const direct = await timedGet(`${nodeB.url}/files/${id}`);
    log(
      `files: B's thread ticks (user+system) over A → B: ${threadTicksBetween(directThreadsB, threadTicksOf(nodeB.pid))}`,
    );
    const directCpu = {
      a: cpuOf(a.pid) - directCpuA,
      b: cpuOf(nodeB.pid) - directCpuB,
      bSystem: systemCpuOf(nodeB.pid) - directSysB,
    };

    const nodeR = await startProcess('files-r', [a.url]);
    const nodeC = await startProcess('files-c', [a.url], {
      MESHCHAT_BENCH_REFUSE_FILES: [a.url, nodeB.url].join(','),
    });
    await untilListed(nodeC.url, id);
    await untilListed(nodeR.url, id);
    log('files: A → R → C (C reaches neither A nor B)');
    const relayCpuR = cpuOf(nodeR.pid);
    const relayCpuC = cpuOf(nodeC.pid);
    const relayed = await timedGet(`${nodeC.url}/files/${id}`);
    log(
      `files: CPU s per GiB over A → R → C: R ${round((cpuOf(nodeR.pid) - relayCpuR) / (fileMiB / 1024), 2)}, ` +
        `C ${round((cpuOf(nodeC.pid) - relayCpuC) / (fileMiB / 1024), 2)}`,
    );

    log(`files: RSS while ${rssMiB} MiB move A → B`);
    const largeFileId = await publish(a.url, token, 'large.bin', large);
    if (largeFileId !== largeId) throw new Error('the large file id is not its SHA-256');
    await untilListed(nodeB.url, largeFileId);
    const rssBefore = rssOf(nodeB.pid);
    if (rssBefore === 0) throw new Error(`cannot read /proc/${nodeB.pid}/status`);
    let rssPeak = rssBefore;
    const sampler = setInterval(() => {
      rssPeak = Math.max(rssPeak, rssOf(nodeB.pid));
    }, 50);
    const big = await timedGet(`${nodeB.url}/files/${largeFileId}`);
    clearInterval(sampler);
    rssPeak = Math.max(rssPeak, rssOf(nodeB.pid));

    /** B's fetches: the downloads A answered for node files-b (A keeps them for the owner). */
    const fetchesByB = async (/** @type {string} */ fileId) => {
      const answer = await fetch(`${a.url}/files/${fileId}/downloads`, {
        headers: { authorization: `Bearer ${token}` },
      });
      if (answer.status !== 200) throw new Error(`downloads: ${answer.status} ${await answer.text()}`);
      const { downloads } = /** @type {{ downloads: Array<{ node?: string }> }} */ (await answer.json());
      return downloads.filter((d) => d.node === 'files-b').length;
    };
    const bRequests = (await fetchesByB(id)) + (await fetchesByB(largeFileId));
    if (bRequests < 2) throw new Error(`A lists ${bRequests} fetches by B for the two files B served`);
    const allSha =
      [plain, direct, relayed, floorDirect, floorRelayed].every((x) => x.sha === id) && big.sha === largeId;
    const movedGB = (fileMiB * 3 + rssMiB) / 1024;
    // Fetches by the nodes that fetched (B twice, R once, C once), per GB they moved between them.
    const requests = bRequests + nodeR.fetches() + nodeC.fetches();
    const mibPerSecond = (/** @type {{ ms: number, bytes: number }} */ x) => x.bytes / MiB / (x.ms / 1000);
    const result = {
      ok: allSha,
      fileMiB,
      rssMiB,
      plainMiBps: round(mibPerSecond(plain)),
      directMiBps: round(mibPerSecond(direct)),
      relayMiBps: round(mibPerSecond(relayed)),
      directRatio: round(plain.ms / direct.ms, 3),
      // CPU seconds (user + system, all threads) per GiB served: A in the plain GET, A and B in the fetched one.
      plainCpuAPerGiB: round(plainCpu.a / (fileMiB / 1024), 2),
      directCpuAPerGiB: round(directCpu.a / (fileMiB / 1024), 2),
      directCpuBPerGiB: round(directCpu.b / (fileMiB / 1024), 2),
      directSystemCpuBPerGiB: round(directCpu.bSystem / (fileMiB / 1024), 2),
      relayRatio: round(plain.ms / relayed.ms, 3),
      floorDirectMiBps: round(mibPerSecond(floorDirect)),
      floorDirectRatio: round(plain.ms / floorDirect.ms, 3),
      floorCpuPPerGiB: round(floorCpu.p / (fileMiB / 1024), 2),
      floorRelayMiBps: round(mibPerSecond(floorRelayed)),
      floorRelayRatio: round(plain.ms / floorRelayed.ms, 3),
      largeMiBps: round(mibPerSecond(big)),
      rssBeforeMiB: round(rssBefore / MiB),
      rssGrowthMiB: round((rssPeak - rssBefore) / MiB),
      requests,
      requestsPerGB: round(requests / movedGB, 2),
      movedGB: round(movedGB, 2),
      sha256Match: allSha,
      goals: { directRatio: 0.8, relayRatio: 0.5, rssGrowthMiB: 64, requestsPerGB: 256 },
    };
    log(
      `files: direct ${result.directRatio}×, relay ${result.relayRatio}×, RSS +${result.rssGrowthMiB} MiB, ` +
        `${result.requestsPerGB} requests/GB`,
    );
    return result;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log(`files: FAILED: ${message}`);
    return { ok: false, error: message };
  } finally {
    await Promise.all(children.map((child) => child.stop()));
    rmSync(work, { recursive: true, force: true });
  }
}

/** @param {number} x */
function round(x, decimals = 1) {
  const f = 10 ** decimals;
  return Math.round(x * f) / f;
}

/**
 * @param {AsyncIterable<Uint8Array>} source
 * @returns {ReadableStream<Uint8Array>}
 */
function ReadableStreamFrom(source) {
  return /** @type {any} */ (ReadableStream).from(source);
}

/** @param {any} result */
export function report(result) {
  if (result.error) return `  failed: ${result.error}`;
  return table([
    ['measure', 'value', 'goal'],
    [`plain GET from A (${result.fileMiB} MiB)`, `${fixed(result.plainMiBps, 1)} MiB/s`, 'baseline'],
    ['A → B, verified, on disk at B', `${fixed(result.directMiBps, 1)} MiB/s`, ''],
    ['  ratio to plain', `${fixed(result.directRatio, 3)}×`, '≥ 0.8×'],
    [
      '  CPU s per GiB: A (plain), A and B (fetched)',
      `${result.plainCpuAPerGiB}; ${result.directCpuAPerGiB} + ${result.directCpuBPerGiB} (B system ${result.directSystemCpuBPerGiB})`,
      '',
    ],
    ['A → R → C (one relay)', `${fixed(result.relayMiBps, 1)} MiB/s`, ''],
    ['  ratio to plain', `${fixed(result.relayRatio, 3)}×`, '≥ 0.5×'],
    [
      'floor: A → P, verifying proxy, no disk',
      `${fixed(result.floorDirectMiBps, 1)} MiB/s, ${fixed(result.floorDirectRatio, 3)}×, P ${result.floorCpuPPerGiB} CPU s/GiB`,
      '',
    ],
    [
      'floor: A → P → Q',
      `${fixed(result.floorRelayMiBps, 1)} MiB/s, ${fixed(result.floorRelayRatio, 3)}×`,
      '',
    ],
    [`B's RSS growth, ${result.rssMiB} MiB A → B`, `${fixed(result.rssGrowthMiB, 1)} MiB`, '≤ 64 MiB'],
    ['fetch requests per GB moved', fixed(result.requestsPerGB, 2), '≤ 256'],
    ['every SHA-256 matched', String(result.sha256Match), 'true'],
  ]);
}
