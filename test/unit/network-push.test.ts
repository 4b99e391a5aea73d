import { describe, expect, it } from 'vitest';
import { MeshMap } from '../../src/application/operations/mesh-map.js';
import { MESH_PUSH_INTERVAL_MS, NetworkPush } from '../../src/application/operations/network-push.js';
import { PeerRegistry } from '../../src/domain/peer-registry.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { RecordingPushNotifier } from '../fakes/recording-push-notifier.js';

function setup(connectedUsers = 1) {
  const clock = new FakeClock();
  const registry = new PeerRegistry({ id: 'a', url: 'http://a.mesh.test' }, 1);
  const mesh = new MeshMap(registry);
  const users = new RecordingPushNotifier(connectedUsers);
  const push = new NetworkPush({ registry, mesh, push: users, clock });
  push.start();
  const join = (id: string) => registry.announce({ id, url: `http://${id}.mesh.test`, incarnation: 1 });
  const ids = (graph: { nodes: readonly { id: string }[] } | undefined) => graph?.nodes.map((n) => n.id);
  return { clock, registry, mesh, users, push, join, ids };
}

describe('NetworkPush (fake clock)', () => {
  it('pushes a change after a quiet spell at once, then a burst as one map at the end of the interval', async () => {
    const { clock, users, join, ids } = setup();
    join('b');
    await clock.advance(0);
    expect(users.meshes.map(ids)).toEqual([['a', 'b']]);
    for (const id of ['c', 'd', 'e']) {
      await clock.advance(100);
      join(id);
    }
    await clock.advance(MESH_PUSH_INTERVAL_MS - 301);
    expect(users.meshes).toHaveLength(1);
    await clock.advance(1);
    // One frame for the burst, with the map as it is when the interval ends.
    expect(users.meshes.map(ids)).toEqual([
      ['a', 'b'],
      ['a', 'b', 'c', 'd', 'e'],
    ]);
    await clock.advance(10 * MESH_PUSH_INTERVAL_MS);
    expect(users.meshes).toHaveLength(2);
  });

  it('pushes no map while no user is connected', async () => {
    const { clock, users, join } = setup(0);
    join('b');
    await clock.advance(MESH_PUSH_INTERVAL_MS);
    join('c');
    await clock.advance(2 * MESH_PUSH_INTERVAL_MS);
    expect(users.meshes).toEqual([]);
  });

  it('pushes a map change learned from a peer, not only membership changes', async () => {
    const { clock, users, mesh, join } = setup();
    join('b');
    join('c');
    await clock.advance(MESH_PUSH_INTERVAL_MS);
    const before = users.meshes.length;
    mesh.viewReceived('b', [{ id: 'c', url: 'http://c.mesh.test' }]);
    await clock.advance(MESH_PUSH_INTERVAL_MS);
    expect(users.meshes).toHaveLength(before + 1);
    expect(users.meshes.at(-1)?.links).toContainEqual({ from: 'b', to: 'c' });
  });

  it('sends the node list once for the changes of one turn', async () => {
    const { users, join } = setup();
    join('b');
    join('c');
    await Promise.resolve();
    expect(users.nodeLists.map((list) => list.map((n) => n.id))).toEqual([['a', 'b', 'c']]);
  });

  it('pushes nothing once stopped, not even what was already scheduled', async () => {
    const { clock, users, push, join } = setup();
    join('b');
    push.stop();
    join('c');
    await clock.advance(2 * MESH_PUSH_INTERVAL_MS);
    expect(users.meshes).toEqual([]);
    expect(users.nodeLists).toEqual([]);
  });
});
