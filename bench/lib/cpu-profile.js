// Reading `node --cpu-prof` output: the new profiles in a directory, and each one's busiest functions.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * @typedef {{ nodes: { id: number, callFrame: { functionName: string, url: string, lineNumber: number } }[],
 *   samples: number[], timeDeltas: number[] }} CpuProfile
 */

/** The `.cpuprofile` files in `dir` now, to tell the ones a run writes from those already there. */
export function profilesIn(/** @type {string} */ dir) {
  return new Set(readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')));
}

/**
 * Prints, for each profile written to `dir` since `before`, its busy time and its `top` functions by self time
 * (a share of the busy time; idle excluded), with paths shortened to `node_modules/` and `dist/`.
 * @param {string} dir
 * @param {Set<string>} before
 * @param {number} [top]
 */
export function printTopSelfTime(dir, before, top = 30) {
  for (const file of [...profilesIn(dir)].filter((f) => !before.has(f))) {
    /** @type {CpuProfile} */
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    const self = new Map();
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    let total = 0;
    profile.samples.forEach((id, i) => {
      const node = byId.get(id);
      if (!node) return;
      const { functionName, url, lineNumber } = node.callFrame;
      const key = `${functionName || '(anonymous)'} ${url.replace(/^.*node_modules\//, '').replace(/^.*\/dist\//, 'dist/')}:${lineNumber + 1}`;
      const t = profile.timeDeltas[i] ?? 0;
      total += t;
      self.set(key, (self.get(key) ?? 0) + t);
    });
    const idle = [...self.entries()].filter(([k]) => k.startsWith('(idle)')).reduce((n, [, v]) => n + v, 0);
    const busy = total - idle;
    console.log(`\n${file}: busy ${(busy / 1e6).toFixed(2)} s of ${(total / 1e6).toFixed(2)} s`);
    const sorted = [...self.entries()].filter(([k]) => !k.startsWith('(idle)')).sort((x, y) => y[1] - x[1]);
    for (const [k, v] of sorted.slice(0, top))
      console.log(`${((100 * v) / busy).toFixed(1).padStart(5)} %  ${k}`);
  }
}
