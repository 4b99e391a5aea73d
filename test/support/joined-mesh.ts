import { afterEach, expect, vi } from 'vitest';
import type { MeshNode } from '../../src/mesh-node.js';
import { startTestNode, stopAll } from './nodes.js';
import { connectSocketIoUser, type SocketIoTestUser } from './users.js';

/**
 * Real nodes in this process on 127.0.0.1, joined through the first, and the user connections a test opens on
 * them: all closed and stopped after each test. Call it at the top of a test file.
 */
export function joinedMeshFixture() {
  const nodes: MeshNode[] = [];
  const closers: { close(): void }[] = [];
  afterEach(async () => {
    for (const c of closers.splice(0)) c.close();
    await stopAll(nodes);
  });
  return {
    /** Connections the test opened itself, closed after it. */
    closers,
    /** Starts a node per id, each joining the first, and waits until every node knows every other. */
    async mesh(ids: string[]): Promise<MeshNode[]> {
      const first = await startTestNode(ids[0] as string);
      nodes.push(first);
      for (const id of ids.slice(1)) nodes.push(await startTestNode(id, { join: [first.url] }));
      await vi.waitFor(
        () => {
          for (const n of nodes) expect(n.registry.peers()).toHaveLength(ids.length - 1);
        },
        { timeout: 8_000, interval: 20 },
      );
      return [...nodes];
    },
    /** A socket.io user on `url`, logged in with `token` when given. */
    async socketUser(url: string, token?: string): Promise<SocketIoTestUser> {
      const user = await connectSocketIoUser(url, token === undefined ? {} : { auth: { token } });
      closers.push(user);
      return user;
    },
  };
}
