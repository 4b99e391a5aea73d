import { nodeRecord } from '../domain/node-record.js';
import type { PeerRegistry } from '../domain/peer-registry.js';

/**
 * `DELETE /nodes/:id {url}`: a node says it leaves. Honoured only when id and url both match; otherwise
 * the registry throws `UnknownNode` or `Conflict`, so the caller learns why nothing changed.
 */
export class RemoveNode {
  constructor(private readonly deps: { registry: PeerRegistry }) {}

  execute(input: { id: unknown; url: unknown }): void {
    this.deps.registry.remove(nodeRecord(input.id, input.url));
  }
}
