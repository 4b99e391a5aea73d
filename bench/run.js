// `npm run bench` (builds, then runs this): end-to-end benchmarks of meshchat against the assignment's plain
// node. Progress goes to stderr; the report tables and, as the very last stdout line, one JSON object with every
// number go to stdout (`node bench/run.js | tail -n 1` gives the JSON).
//
// Options: --quick (small counts, a smoke test), --scenario NAME (repeatable), --messages N (throughput phase),
// --latency N (sequential messages), --warmup N, --window N (in-flight cap), --receivers N, --pad BYTES
// (message size), --rounds N (default 2, order alternating), --meshchat process|inprocess, --order meshchat,plain.
import { existsSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { killAllChildren } from './lib/children.js';
import { scenarios } from './scenarios/index.js';

const HARD_LIMIT_MS = 180_000; // whatever happens, the bench ends (and takes its children with it)

function fail(message, code = 2) {
  process.stderr.write(`bench: ${message}\n`);
  killAllChildren();
  process.exit(code);
}

function options() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        quick: { type: 'boolean', default: false },
        scenario: { type: 'string', multiple: true },
        messages: { type: 'string' },
        latency: { type: 'string' },
        warmup: { type: 'string' },
        window: { type: 'string' },
        receivers: { type: 'string' },
        pad: { type: 'string' },
        rounds: { type: 'string' },
        meshchat: { type: 'string', default: 'process' },
        order: { type: 'string', default: 'meshchat,plain' },
      },
    }));
  } catch (error) {
    fail(error.message);
  }
  const int = (flag, fallback, min, max) => {
    if (values[flag] === undefined) return fallback;
    const n = Number(values[flag]);
    if (!Number.isInteger(n) || n < min || n > max)
      fail(`--${flag} must be a whole number from ${min} to ${max}`);
    return n;
  };
  if (!['process', 'inprocess'].includes(values.meshchat))
    fail('--meshchat must be "process" or "inprocess"');
  const order = values.order.split(',').map((s) => s.trim());
  if (order.some((s) => !['meshchat', 'plain'].includes(s))) fail('--order lists meshchat and/or plain');
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
    messageTimeoutMs: 5_000, // a message not at every receiver by then frees its window slot (counted lost)
    // Time limits per phase, so a slow or overloaded machine still finishes in about two minutes.
    warmupMaxMs: 4_000,
    latencyMaxMs: 8_000,
    throughputMaxMs: 12_000,
    meshchatMode: values.meshchat,
    order,
  };
}

async function main() {
  const opts = options();
  if (!existsSync(new URL('../dist/container.js', import.meta.url)))
    fail('dist/ is missing: run `npm run build` first');
  const selected = opts.scenarios ? scenarios.filter((s) => opts.scenarios.includes(s.name)) : scenarios;
  if (selected.length === 0)
    fail(`no scenario named ${opts.scenarios.join(', ')} (have: ${scenarios.map((s) => s.name).join(', ')})`);

  const hardLimit = setTimeout(
    () => fail(`still running after ${HARD_LIMIT_MS / 1000} s: stopped`, 1),
    HARD_LIMIT_MS,
  );
  hardLimit.unref();
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'])
    process.once(signal, () => fail(`${signal}: stopped`, 130));

  const startedAt = new Date();
  const log = (line) =>
    process.stderr.write(`[bench ${((Date.now() - startedAt) / 1000).toFixed(1)}s] ${line}\n`);
  const cpu = cpus();
  const environment = {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: cpu.length,
    cpuModel: cpu[0]?.model?.trim(),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
  };
  process.stdout.write(
    `meshchat bench: ${environment.node}, ${environment.cpus} x ${environment.cpuModel ?? 'cpu'}, ` +
      `meshchat nodes ${opts.meshchatMode === 'process' ? 'as child processes' : 'in the bench process'}, plain nodes as child processes\n`,
  );

  const results = {};
  let ok = true;
  for (const scenario of selected) {
    log(`scenario ${scenario.name}: ${scenario.title}`);
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
    seconds: Math.round((Date.now() - startedAt) / 100) / 10,
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
