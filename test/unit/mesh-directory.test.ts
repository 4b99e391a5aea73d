import { afterEach, describe, expect, it } from 'vitest';
import { directorySettings } from '../../src/application/directory/directory-settings.js';
import { detectionBoundMs, MEMBERSHIP_PROFILES } from '../../src/application/membership/settings.js';
import { MAX_DIRECTORY_USERS_PER_NODE } from '../../src/domain/directory.js';
import { createPlainMemoryNode, type MemoryNode, memoryUrl } from '../fakes/in-memory-network.js';
import { addUsers, DirectoryMesh, presenceOf } from '../support/directory-mesh.js';

const LAN = MEMBERSHIP_PROFILES.lan;
const STALE_MS = directorySettings(LAN).staleAfterMs;
/** Rounds a version needs to reach everyone by gossip in a small mesh, plus one for the pull. */
const CONVERGE_MS = 8 * LAN.gossipIntervalMs;

const everyone = (mesh: DirectoryMesh) => mesh.nodes.map((n) => n.id).sort();
const agreed = (mesh: DirectoryMesh, expected: Record<string, boolean>) =>
  mesh.nodes.every((n) => {
    const view = n.directory.mesh();
    const sorted = (o: Record<string, boolean>) => JSON.stringify(Object.entries(o).sort());
    const all = JSON.stringify([...view.answered].sort()) === JSON.stringify(everyone(mesh));
    return all && sorted(presenceOf(view)) === sorted(expected) && view.missing.length === 0;
  });

describe('the mesh directory on the in-memory network (fake clock)', () => {
  let mesh: DirectoryMesh | undefined;
  afterEach(() => mesh?.stop());

  it('three nodes converge: each lists every user of all three, every node answered', async () => {
    mesh = await DirectoryMesh.of(3);
    addUsers(mesh.node(0), 'alice');
    addUsers(mesh.node(1), 'bob', 'carol');
    addUsers(mesh.node(2), 'dave');
    mesh.node(1).presence.opened('bob', 'c1', 'socket.io');
    const expected = { 'alice@n00': false, 'bob@n01': true, 'carol@n01': false, 'dave@n02': false };
    // Own users first, then the other nodes' by node id.
    const ordered = (view: ReturnType<MemoryNode['directory']['mesh']>) =>
      Object.keys(presenceOf(view)).sort();
    expect(await mesh.runUntil(() => agreed(mesh as DirectoryMesh, expected), CONVERGE_MS)).toBeLessThan(
      CONVERGE_MS,
    );
    for (const node of mesh.nodes) {
      const view = node.directory.mesh();
      expect(view.answered.sort()).toEqual(everyone(mesh));
      expect(view.missing).toEqual([]);
      expect(ordered(view)).toEqual(Object.keys(expected).sort());
      expect(view.users.find((u) => u.user === 'bob@n01')).toEqual({
        user: 'bob@n01',
        online: true,
        lastSeen: null,
      });
    }
  });

  it('a change on one node reaches every other within a bounded number of rounds, with one pull each', async () => {
    mesh = await DirectoryMesh.of(3);
    addUsers(mesh.node(2), 'erin');
    await mesh.runUntil(() => agreed(mesh as DirectoryMesh, { 'erin@n02': false }), CONVERGE_MS);
    const pullsBefore = mesh.pulls.get('n02') ?? 0;
    mesh.node(2).presence.opened('erin', 'c1', 'ws');
    const took = await mesh.runUntil(() => agreed(mesh as DirectoryMesh, { 'erin@n02': true }), CONVERGE_MS);
    expect(took).toBeLessThanOrEqual(CONVERGE_MS);
    // Each of the two other nodes pulled n02's list exactly once for that change.
    expect((mesh.pulls.get('n02') ?? 0) - pullsBefore).toBe(2);
    // Going offline stores lastSeen and is a change too.
    mesh.node(2).presence.closed('erin', 'c1', 'ws');
    const lastSeen = new Date(mesh.clock.now()).toISOString();
    await mesh.runUntil(() => agreed(mesh as DirectoryMesh, { 'erin@n02': false }), CONVERGE_MS);
    expect(mesh.node(0).directory.mesh().users).toEqual([{ user: 'erin@n02', online: false, lastSeen }]);
  });

  it('sends no pull at all while the versions agree (at rest only gossip runs)', async () => {
    mesh = await DirectoryMesh.of(3);
    addUsers(mesh.node(0), 'alice');
    addUsers(mesh.node(1), 'bob');
    await mesh.runUntil(
      () => agreed(mesh as DirectoryMesh, { 'alice@n00': false, 'bob@n01': false }),
      CONVERGE_MS,
    );
    // A node with no users has a version too, pulled once.
    expect(mesh.totalPulls()).toBeGreaterThanOrEqual(6);
    const pulls = mesh.totalPulls();
    const calls = mesh.net.calls;
    await mesh.run(60_000);
    expect(mesh.totalPulls()).toBe(pulls);
    // Only membership traffic: 3 nodes, 3 probes a second and a gossip pull every 2 s each, about 10.5 a second.
    expect((mesh.net.calls - calls) / 60).toBeLessThan(12);
    for (const node of mesh.nodes) expect(node.directory.mesh().missing).toEqual([]);
  });

  it('a node that stops answering goes to missing within the staleness bound and is never dropped while dead', async () => {
    mesh = await DirectoryMesh.of(3);
    addUsers(mesh.node(2), 'erin');
    await mesh.runUntil(() => agreed(mesh as DirectoryMesh, { 'erin@n02': false }), CONVERGE_MS);
    // It hangs (accepts calls, never answers) and its own loops stop, as a crashed process behind a proxy.
    mesh.net.setHanging(mesh.node(2).url, true);
    void mesh.node(2).membership.stop();
    const observers = [mesh.node(0), mesh.node(1)];
    const took = await mesh.runUntil(
      () => observers.every((n) => n.directory.mesh().missing.includes('n02')),
      STALE_MS,
    );
    expect(took).toBeLessThanOrEqual(STALE_MS);
    for (const node of observers) {
      const others = observers.filter((o) => o !== node).map((o) => o.id);
      expect(node.directory.mesh()).toEqual({ users: [], answered: [node.id, ...others], missing: ['n02'] });
    }
    // Found dead, it is still listed as missing, not silently dropped.
    const dead = await mesh.runUntil(
      () => mesh?.node(0).registry.tombstone('n02')?.reason === 'dead',
      3 * detectionBoundMs(LAN),
    );
    expect(dead).toBeLessThan(3 * detectionBoundMs(LAN));
    expect(mesh.node(0).directory.mesh().missing).toEqual(['n02']);
  });

  it('a node isolated from the rest lists them as missing once its copies are older than the staleness bound', async () => {
    mesh = await DirectoryMesh.of(3, { membership: { suspicionTimeoutMs: 10 * 60_000 } });
    addUsers(mesh.node(1), 'bob');
    await mesh.runUntil(() => agreed(mesh as DirectoryMesh, { 'bob@n01': false }), CONVERGE_MS);
    const alone = mesh.node(0);
    mesh.net.partition([alone.url], [mesh.node(1).url, mesh.node(2).url]);
    expect(
      await mesh.runUntil(() => alone.directory.mesh().missing.length === 2, STALE_MS + LAN.gossipIntervalMs),
    ).toBeLessThanOrEqual(STALE_MS + LAN.gossipIntervalMs);
    expect(alone.directory.mesh()).toEqual({ users: [], answered: ['n00'], missing: ['n01', 'n02'] });
    // Healed, the copies are confirmed again.
    mesh.net.heal();
    expect(await mesh.runUntil(() => alone.directory.mesh().missing.length === 0, CONVERGE_MS)).toBeLessThan(
      CONVERGE_MS,
    );
  });

  it('a node that leaves is dropped with its users, not listed as missing', async () => {
    mesh = await DirectoryMesh.of(3);
    addUsers(mesh.node(2), 'erin');
    await mesh.runUntil(() => agreed(mesh as DirectoryMesh, { 'erin@n02': false }), CONVERGE_MS);
    void mesh.node(2).membership.stop();
    await mesh.node(2).leave.execute();
    await mesh.run(100);
    for (const node of [mesh.node(0), mesh.node(1)]) {
      expect(node.directory.mesh()).toMatchObject({ users: [], missing: [] });
      expect(node.directory.mesh().answered).not.toContain('n02');
    }
  });

  it('plain nodes are neither asked nor listed', async () => {
    mesh = await DirectoryMesh.of(2);
    const plain = createPlainMemoryNode(mesh.net, 'plain');
    await mesh.node(0).api.announce({ id: 'plain', url: plain.url });
    addUsers(mesh.node(1), 'bob');
    await mesh.runUntil(() => agreed(mesh as DirectoryMesh, { 'bob@n01': false }), CONVERGE_MS);
    await mesh.run(20_000);
    expect(mesh.node(0).registry.get('plain')).toBeDefined();
    expect(mesh.node(1).registry.get('plain')).toBeDefined();
    for (const node of mesh.nodes) {
      const view = node.directory.mesh();
      expect([...view.answered, ...view.missing]).not.toContain('plain');
    }
    expect(plain.extensionCalls()).toBe(0);
  });

  it('bounds what a hostile peer can make a node keep: its own addresses only, each once, at most the cap', async () => {
    mesh = await DirectoryMesh.of(1);
    const evil = memoryUrl('evil');
    const far = mesh.clock.now() + 365 * 24 * 3_600_000;
    const entries = [
      { user: 'alice@n00', online: true, lastSeen: null },
      { user: 'Mallory@evil', online: true, lastSeen: 'yesterday' },
      { user: 'mallory@evil', online: false, lastSeen: null },
      { user: 'not valid!@evil', online: true, lastSeen: null },
      ...Array.from({ length: 2 * MAX_DIRECTORY_USERS_PER_NODE }, (_, i) => ({
        user: `u${i}@evil`,
        online: false,
        lastSeen: null,
      })),
    ];
    let version = mesh.clock.now();
    let pulls = 0;
    const home = mesh.node(0).url;
    mesh.net.register(evil, {
      // Its own entry says a version; it also forges a far-future one for n00.
      listNodes: () => [
        { id: 'evil', url: evil, incarnation: 1, state: 'alive', directory: version },
        { id: 'n00', url: home, incarnation: 1, state: 'alive', directory: far },
      ],
      getNode: () => ({ url: evil, incarnation: 1, state: 'alive' }),
      announce: () => {},
      withdraw: async () => {},
      receive: async () => ({}),
      receiveBatch: async () => [],
      probe: async () => ({ alive: true }),
      listUsers: () => {
        pulls++;
        return { users: entries, version };
      },
    });
    await mesh.node(0).api.announce({ id: 'evil', url: evil, incarnation: 1 });
    await mesh.runUntil(() => mesh?.node(0).directory.mesh().answered.includes('evil') === true, CONVERGE_MS);
    const users = mesh.node(0).directory.mesh().users;
    // At most the cap is read from the answer; of those, another node's user, a bad name and a repeat are refused.
    expect(users).toHaveLength(MAX_DIRECTORY_USERS_PER_NODE - 3);
    expect(users[0]).toEqual({ user: 'mallory@evil', online: true, lastSeen: null });
    expect(users.every((u) => u.user.endsWith('@evil'))).toBe(true);
    // A far-future version of another node is ignored; this node's own version is its own.
    expect(mesh.node(0).directory.versionOf('n00')).toBeLessThan(far);
    // A version it keeps repeating costs no pull; a new one costs exactly one.
    const before = pulls;
    await mesh.run(10 * LAN.gossipIntervalMs);
    expect(pulls).toBe(before);
    version += 1;
    await mesh.run(10 * LAN.gossipIntervalMs);
    expect(pulls).toBe(before + 1);
    // Its own word going down (a restart with a clock set back) is a change too: pulled once more.
    entries.splice(0, entries.length, { user: 'zed@evil', online: true, lastSeen: null });
    version -= 1_000;
    await mesh.run(10 * LAN.gossipIntervalMs);
    expect(pulls).toBe(before + 2);
    expect(mesh.node(0).directory.mesh().users).toEqual([{ user: 'zed@evil', online: true, lastSeen: null }]);
  });
});
