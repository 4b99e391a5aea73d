import { createHttpApp } from '../../src/adapters/http/create-http-app.js';
import { PromMetrics } from '../../src/adapters/metrics/prom-metrics.js';
import type { WebAssets } from '../../src/adapters/web/web-assets.js';
import { CheckHealth, type PhaseBox, RecentErrors } from '../../src/application/operations/check-health.js';
import { MeshMap } from '../../src/application/operations/mesh-map.js';
import { createMemoryNode, InMemoryNetwork, type MemoryNode } from '../fakes/in-memory-network.js';

export const TEST_WEB: WebAssets = { html: '<p>chat</p>', css: 'p{}', script: 'void 0' };

/** Users the test app says are connected: 2 on socket.io, 1 on /ws. */
export const TEST_USERS = { socketio: 2, ws: 1 };

/**
 * Memory node `a` behind the real Hono app (with its operations: health, prom-client metrics, mesh map), and
 * memory node `b` joined to it. `build(web)` makes another app over the same node, e.g. with other assets.
 */
export async function memoryHttpApp() {
  const net = new InMemoryNetwork();
  let a: MemoryNode | undefined;
  const node = () => a as MemoryNode;
  const metrics = new PromMetrics({
    registry: { countByState: () => node().registry.countByState() },
    outboxDepth: () => node().courier.depth,
    users: () => TEST_USERS,
    processMetrics: false,
  });
  a = createMemoryNode(net, 'a', { telemetry: metrics });
  const b = createMemoryNode(net, 'b');
  await b.join.execute([a.url]);
  const errors = new RecentErrors();
  const phase: PhaseBox = { phase: 'running' };
  const mesh = new MeshMap(a.registry);
  const health = new CheckHealth({
    registry: a.registry,
    clock: a.clock,
    phase: () => phase.phase,
    outboxDepth: () => node().courier.depth,
    users: () => TEST_USERS.socketio + TEST_USERS.ws,
    errors,
    bornAt: a.clock.now(),
  });
  const build = (web: WebAssets = TEST_WEB) =>
    createHttpApp({
      registry: node().registry,
      announce: node().announce,
      remove: node().remove,
      probe: node().probe,
      receive: node().receive,
      receiveMany: node().receiveMany,
      web,
      ops: { health, metrics, mesh: () => mesh.snapshot() },
      maxBodyBytes: 512 * 1024,
    });
  return { net, a, b, metrics, errors, phase, build, app: build() };
}
