// Profiles the hot path: the fan-out's closed loop (one user on A to ten users on B, durable, links on) with
// both node processes under `node --cpu-prof`, then prints each node's top self-time functions.
// `npm run build && node bench/profile-hot-path.js [DIR] [MESSAGES]`.
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runFanout } from './lib/fanout.js';
import { startMeshchatPair } from './systems/meshchat.js';

const dir = process.argv[2] ?? '/tmp/meshchat-profile';
const messages = Number(process.argv[3] ?? 20_000);
mkdirSync(dir, { recursive: true });
const before = new Set(readdirSync(dir));
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
for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile') && !before.has(f))) {
  /**
   * @type {{ nodes: { id: number, callFrame: { functionName: string, url: string, lineNumber: number } }[],
   *   samples: number[], timeDeltas: number[] }}
   */
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  const self = new Map();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const dt = profile.timeDeltas;
  let total = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    if (!node) return;
    const { functionName, url, lineNumber } = node.callFrame;
    const key = `${functionName || '(anonymous)'} ${url.replace(/^.*node_modules\//, '').replace(/^.*\/dist\//, 'dist/')}:${lineNumber + 1}`;
    const t = dt[i] ?? 0;
    total += t;
    self.set(key, (self.get(key) ?? 0) + t);
  });
  const idle = [...self.entries()].filter(([k]) => k.startsWith('(idle)')).reduce((n, [, v]) => n + v, 0);
  const busy = total - idle;
  console.log(`\n${file}: busy ${(busy / 1e6).toFixed(2)} s of ${(total / 1e6).toFixed(2)} s`);
  const top = [...self.entries()].filter(([k]) => !k.startsWith('(idle)')).sort((x, y) => y[1] - x[1]);
  for (const [k, v] of top.slice(0, 30)) console.log(`${((100 * v) / busy).toFixed(1).padStart(5)} %  ${k}`);
}
