// The open loop at one rate (one user on A, ten on B), for a closer look than `--scenario open-loop` gives:
// each node's CPU, system calls and bytes written per message, meshchat on disk (its data dir) or in memory, or
// the floor nodes; with --profile DIR, meshchat's nodes under `node --cpu-prof` and their busiest functions.
//   npm run build && node bench/profile-open-loop.js [--rate 1000] [--seconds 8] [--storage disk|memory]
//     [--floor] [--profile DIR]
// A warm-up of 2 s at the same rate comes first and is not counted. Profiling slows the nodes: read the
// per-message figures from a run without it.
import { mkdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { printTopSelfTime, profilesIn } from './lib/cpu-profile.js';
import { offerLoad } from './lib/open-loop.js';
import { startMeshchatPair } from './systems/meshchat.js';
import { startFloorPair } from './systems/plain.js';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '8' },
    storage: { type: 'string', default: 'disk' },
    floor: { type: 'boolean', default: false },
    profile: { type: 'string' },
  },
});
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const storage = values.storage;
if (!(rate > 0) || !(seconds > 0) || (storage !== 'disk' && storage !== 'memory')) {
  console.error('--rate and --seconds take positive numbers, --storage disk or memory');
  process.exit(2);
}
const dir = values.profile;
if (dir) mkdirSync(dir, { recursive: true });
const before = dir ? profilesIn(dir) : new Set();
const pair = values.floor
  ? await startFloorPair()
  : await startMeshchatPair({
      mode: 'process',
      storage,
      execArgv: dir ? ['--cpu-prof', '--cpu-prof-dir', dir] : [],
    });
const acks = !values.floor;
const common = { senderUrl: pair.a.url, receiverUrl: pair.b.url, to: pair.b.id, rate, acks };
try {
  await offerLoad({ ...common, seconds: 2, tag: 'w' });
  const run = await offerLoad({
    ...common,
    seconds,
    tag: 'm',
    cpuSeconds: pair.cpuSeconds,
    pids: { a: pair.a.pid, b: pair.b.pid },
  });
  const system = values.floor ? 'floor' : `meshchat (${storage})`;
  console.log(`${system}, ${rate}/s for ${seconds} s: ${run.delivered} of ${run.sent} delivered`);
  if (run.acks) {
    const { delivered, queued, refused, none, refusals } = run.acks;
    const codes = Object.entries(refusals).map(([code, n]) => `${code} ${n}`);
    console.log(
      `  acks: delivered ${delivered}, queued ${queued}, refused ${refused}${codes.length ? ` (${codes.join(', ')})` : ''}, none ${none}`,
    );
  }
  console.log(`  latency ms p50 ${run.ms.p50}, p99 ${run.ms.p99}, p99.9 ${run.ms.p999}`);
  console.log(`  node CPU ms per message (A + B) ${run.nodesCpuMsPerMsg}`);
  for (const [which, cost] of Object.entries(run.perNode ?? {})) {
    console.log(
      `  ${which.toUpperCase()}: CPU ${cost.cpuMs} ms, read calls ${cost.reads}, write calls ${cost.writes}, ` +
        `bytes written ${cost.bytesWritten} (per message)`,
    );
  }
} finally {
  await pair.stop();
}
if (dir) printTopSelfTime(dir, before);
