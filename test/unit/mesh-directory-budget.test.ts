// The mesh directory's request budget, counted on the in-memory network with the fake clock: what it adds at
// rest (nothing: versions ride on the gossip pulls the membership already makes) and what one user's change
// costs. Request counts only: how fast `?scope=mesh` answers is measured by the `directory` bench scenario
// (`node bench/run.js --scenario directory`, docs/benchmarks.md), never asserted here.
import { afterEach, describe, expect, it } from 'vitest';
import { MEMBERSHIP_PROFILES, type MembershipProfile } from '../../src/application/membership/settings.js';
import { addUsers, DirectoryMesh } from '../support/directory-mesh.js';

const MINUTE = 60_000;

/** Every node has users, has converged, and lists every other node as answered. */
const converged = (mesh: DirectoryMesh) =>
  mesh.nodes.every((n) => n.directory.mesh().answered.length === mesh.nodes.length);

async function measure(size: number, profile: MembershipProfile) {
  const timing = MEMBERSHIP_PROFILES[profile];
  const mesh = await DirectoryMesh.of(size, { membership: timing });
  const stepMs = profile === 'lan' ? 100 : 1_000;
  for (const [i, node] of mesh.nodes.entries()) addUsers(node, `u${i}a`, `u${i}b`);
  // Converge: every version has to spread by gossip to every node, one pull each.
  while (!converged(mesh)) await mesh.run(timing.gossipIntervalMs, stepMs);
  const restMs = profile === 'lan' ? 2 * MINUTE : 4 * timing.gossipIntervalMs;
  const pulls = mesh.totalPulls();
  const calls = mesh.net.calls;
  await mesh.run(restMs, stepMs);
  const restPulls = mesh.totalPulls() - pulls;
  const membershipCalls = mesh.net.calls - calls;
  // One change: a user of node 0 comes online; every other node pulls node 0's list once.
  const before = mesh.totalPulls();
  mesh.node(0).presence.opened('u0a', 'c1', 'socket.io');
  let changeMs = 0;
  while (!mesh.nodes.every((n) => n.directory.mesh().users.find((u) => u.user === 'u0a@n00')?.online)) {
    await mesh.run(timing.gossipIntervalMs, stepMs);
    changeMs += timing.gossipIntervalMs;
  }
  const changePulls = mesh.totalPulls() - before;
  mesh.stop();
  const perNodePerMinute = (count: number) => count / size / (restMs / MINUTE);
  return {
    size,
    profile,
    directoryPerNodePerMinute: perNodePerMinute(restPulls),
    membershipPerNodePerMinute: perNodePerMinute(membershipCalls),
    changePulls,
    changeRounds: changeMs / timing.gossipIntervalMs,
  };
}

describe('the mesh directory request counts (in-memory network, fake clock)', () => {
  const lines: string[] = [];
  afterEach(() => {
    if (lines.length > 0) process.stdout.write(`${lines.splice(0).join('\n')}\n`);
  });

  for (const [size, profile] of [
    [10, 'lan'],
    [50, 'lan'],
    [10, 'tunnel'],
    [50, 'tunnel'],
  ] as const) {
    it(`${size} nodes, ${profile}: no directory request at rest; one change costs one pull per other node`, async () => {
      const r = await measure(size, profile);
      lines.push(
        `directory budget: ${r.size} nodes ${r.profile}: at rest ${r.directoryPerNodePerMinute} directory req/node/min ` +
          `(membership ${r.membershipPerNodePerMinute.toFixed(3)}); one change: ${r.changePulls} pulls, ` +
          `everywhere within ${r.changeRounds} gossip intervals (${2 * size} users)`,
      );
      expect(r.directoryPerNodePerMinute).toBe(0);
      expect(r.changePulls).toBe(size - 1);
    }, 120_000);
  }
});
