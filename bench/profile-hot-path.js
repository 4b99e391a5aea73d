// Profiles the hot path: the fan-out's closed loop (one user on A to ten users on B, durable, links on) with
// both node processes under `node --cpu-prof`, then prints each node's top self-time functions.
// `npm run build && node bench/profile-hot-path.js [DIR] [MESSAGES]`.
import { mkdirSync } from 'node:fs';
import { printTopSelfTime, profilesIn } from './lib/cpu-profile.js';
import { runFanout } from './lib/fanout.js';
import { startMeshchatPair } from './systems/meshchat.js';

const dir = process.argv[2] ?? '/tmp/meshchat-profile';
const messages = Number(process.argv[3] ?? 20_000);
mkdirSync(dir, { recursive: true });
const before = profilesIn(dir);
const pair = await startMeshchatPair({ mode: 'process', execArgv: ['--cpu-prof', '--cpu-prof-dir', dir] });
const result = await runFanout({
  senderUrl: pair.a.url,
  receiverUrl: pair.b.url,
  to: pair.b.id,
  warmup: { count: 2_000, window: 50, maxMs: 20_000 },
  latency: { count: 1, maxMs: 5_000 },
  throughput: { count: messages, window: 100, maxMs: 60_000 },
  cpuSeconds: pair.cpuSeconds,
});
const metrics = await (await fetch(`${pair.a.url}/metrics`)).text();
for (const line of metrics
  .split('\n')
  .filter((l) => /^meshchat_(peer_calls_total|messages_accepted_total)/.test(l)))
  console.log(line);
await pair.stop();
const { msgsPerSec, cpu } = result.throughput;
console.log(`throughput ${msgsPerSec} msg/s, node CPU ${cpu?.nodesMsPerMsg} ms per message`);
printTopSelfTime(dir, before);
