import { createNode, type NodeOverrides } from '../../src/container.js';
import type { MeshNode } from '../../src/mesh-node.js';
import type { NodeConfig } from '../../src/node-config.js';

/** A real node on 127.0.0.1 and a free port, started; joins `join` when given. */
export async function startTestNode(
  id: string,
  overrides: NodeOverrides & { join?: string[]; config?: Partial<NodeConfig> } = {},
): Promise<MeshNode> {
  const node = createNode(
    {
      id,
      port: 0,
      host: '127.0.0.1',
      tunnel: 'none',
      join: overrides.join ?? [],
      leaveTimeoutMs: 2_000,
      ...overrides.config,
    },
    overrides,
  );
  await node.start();
  return node;
}

/** Stops every node, without leaving: for cleanup after a test, whatever state it ended in. */
export async function stopAll(nodes: MeshNode[]): Promise<void> {
  await Promise.all(nodes.splice(0).map((n) => n.stop({ leave: false })));
}
