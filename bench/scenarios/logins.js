// Scenario: logins per second against one node. A meshchat node runs in the bench process (createNode, with a
// data dir in a temp dir, the real scrypt hasher and SQLite), `loginUsers` accounts are registered, then
// `logins` POST /sessions are made with `loginConcurrency` in flight, each for one of the accounts in turn.
// Password hashing dominates: each login is one scrypt verification on libuv's thread pool, so the result is
// reported with the scrypt parameters (from src/adapters/crypto/) and the pool size.

import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { field } from '../lib/field.js';
import { ran } from '../lib/ran.js';
import { summarize } from '../lib/stats.js';
import { fixed, table } from '../lib/table.js';

/** @import { BenchOptions } from '../run.js' */

export const name = 'logins';
export const group = 'accounts';
export const title = 'POST /sessions per second against one node (scrypt dominates)';

const PASSWORD = 'bench password 123';

/** @param {BenchOptions} options */
export function budgetMs(options) {
  // At worst a few hundred ms per hash on a loaded machine, for the registrations and the logins.
  return 30_000 + (options.loginUsers + options.logins) * 500;
}

/**
 * @param {string} url
 * @param {string} path
 * @param {unknown} body
 */
async function post(url, path, body) {
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: /** @type {unknown} */ (await response.json()) };
}

/** @param {{ options: BenchOptions, log: (line: string) => void }} context */
export async function run({ options, log }) {
  await import('reflect-metadata');
  const [{ createNode }, { DEFAULT_SCRYPT_COST }] = await Promise.all([
    import('../../dist/container.js'),
    import('../../dist/adapters/crypto/scrypt-password-hasher.js'),
  ]);
  const scrypt = {
    ...DEFAULT_SCRYPT_COST,
    memoryMiB: (128 * DEFAULT_SCRYPT_COST.N * DEFAULT_SCRYPT_COST.r) / 2 ** 20,
  };
  const threadPool = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
  const dataDir = mkdtempSync(join(tmpdir(), 'meshchat-bench-logins-'));
  const node = createNode({
    id: 'bench-logins',
    port: 0,
    host: '127.0.0.1',
    tunnel: 'none',
    join: [],
    dataDir,
    // Every login comes from 127.0.0.1: the per-address HTTP budget (GET /limits) would measure itself, not
    // scrypt, so it is lifted; the failed-login throttle stays (the bench's logins all succeed).
    rateLimits: { http: { ratePerSecond: 0, burst: 0 } },
  });
  try {
    await node.start();
    const names = Array.from({ length: options.loginUsers }, (_, i) => `user${i}`);
    const registerStart = performance.now();
    for (const user of names) {
      const made = await post(node.url, '/users', { name: user, password: PASSWORD });
      if (made.status !== 201) throw new Error(`POST /users ${user}: ${made.status}`);
    }
    const registerMs = performance.now() - registerStart;
    log(`logins: ${names.length} users registered in ${fixed(registerMs / 1000, 2)} s`);

    /** @type {number[]} */
    const latencies = [];
    let next = 0;
    let failed = 0;
    const started = performance.now();
    const worker = async () => {
      while (next < options.logins) {
        const i = next++;
        const t0 = performance.now();
        const answer = await post(node.url, '/sessions', {
          name: names[i % names.length],
          password: PASSWORD,
        });
        latencies.push(performance.now() - t0);
        if (answer.status !== 201 || typeof field(answer.body, 'token') !== 'string') failed++;
      }
    };
    await Promise.all(Array.from({ length: options.loginConcurrency }, worker));
    const seconds = (performance.now() - started) / 1000;
    const perSecond = Math.round((options.logins / seconds) * 10) / 10;
    log(`logins: ${options.logins} in ${fixed(seconds, 2)} s = ${perSecond}/s (${failed} failed)`);
    return {
      ok: failed === 0,
      logins: options.logins,
      concurrency: options.loginConcurrency,
      users: names.length,
      seconds: Math.round(seconds * 1000) / 1000,
      perSecond,
      latencyMs: summarize(latencies),
      registerPerSecond: Math.round((names.length / (registerMs / 1000)) * 10) / 10,
      failed,
      scrypt,
      threadPool,
      cpus: availableParallelism(),
    };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log(`logins: FAILED: ${message}`);
    return { ok: false, error: message };
  } finally {
    await node.stop({ leave: false });
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** @param {Awaited<ReturnType<typeof run>>} result */
export function report(result) {
  if (!ran(result)) return `  FAILED: ${result.error}`;
  const { scrypt } = result;
  return [
    table([
      ['logins', 'in flight', 'logins/s', 'p50 ms', 'p99 ms', 'registrations/s', 'failed'],
      [
        result.logins,
        result.concurrency,
        fixed(result.perSecond, 1),
        fixed(result.latencyMs.p50, 1),
        fixed(result.latencyMs.p99, 1),
        fixed(result.registerPerSecond, 1),
        result.failed,
      ],
    ]),
    `  scrypt N=${scrypt.N} (2^${Math.log2(scrypt.N)}), r=${scrypt.r}, p=${scrypt.p}, ${scrypt.memoryMiB} MiB per hash; ` +
      `libuv thread pool ${result.threadPool}, ${result.cpus} cpus`,
  ].join('\n');
}
