import type { NodeRecord } from '../../domain/node-record.js';

/**
 * The node list as users get it (`nodes` events and frames): each node with `verified`, as `GET /nodes` lists
 * it, when this node checks keys (signed node identity): true for a node bound to a key, whose records and
 * messages are checked. Without a way to tell, the records go as they are.
 */
export function nodesForUsers(
  nodes: readonly NodeRecord[],
  verifiedNode: ((id: string) => boolean) | undefined,
): readonly NodeRecord[] {
  return verifiedNode ? nodes.map((node) => ({ ...node, verified: verifiedNode(node.id) })) : nodes;
}
