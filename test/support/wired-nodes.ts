import { buildContainer, type NodeOverrides, resolve, TOKENS } from '../../src/container.js';
import { MeshNode } from '../../src/mesh-node.js';
import type { NodeConfig } from '../../src/node-config.js';
import type { WiredNode } from '../../src/wiring/wire-node.js';

/**
 * A real node on 127.0.0.1 and a free port, started, with its wired graph: a test reaches the accounts store and
 * presence through it (as the authenticated front ends do), not through the HTTP routes.
 */
export async function startWiredTestNode(
  id: string,
  overrides: NodeOverrides & { join?: string[]; config?: Partial<NodeConfig> } = {},
): Promise<{ node: MeshNode; wired: WiredNode }> {
  const config: NodeConfig = {
    id,
    port: 0,
    host: '127.0.0.1',
    tunnel: 'none',
    join: overrides.join ?? [],
    leaveTimeoutMs: 2_000,
    ...overrides.config,
  };
  const c = buildContainer(config, overrides);
  const database = c.isRegistered(TOKENS.database) ? resolve(c, TOKENS.database) : undefined;
  const wired = resolve(c, TOKENS.node);
  const node = new MeshNode(config, wired, database);
  await node.start();
  return { node, wired };
}

/** Registers `name` straight in a node's account store (no password check: the directory only lists it). */
export function addAccount(accounts: WiredNode['accounts'], name: string, createdAt = 0): void {
  accounts.createAccount({ name, passwordHash: 'unused', createdAt });
}
