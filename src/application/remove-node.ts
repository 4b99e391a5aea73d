import { nodeRecord } from '../domain/node-record.js';
import type { PeerRegistry } from '../domain/peer-registry.js';
import type { Clock } from './ports/clock.js';

/**
 * `DELETE /nodes/:id {url, reason?}`: a node says it leaves, or a meshchat node says it found it dead
 * (`reason: 'dead'`, so this node will also try to reconnect to it after a partition). Honoured only
 * when id and url both match; otherwise the registry throws `UnknownNode` or `Conflict`, so the caller learns
 * why nothing changed. A `DELETE` of this node itself at its own URL means someone declared it dead: it is
 * refused, and `refute` lets the network know this node is alive.
 */
export class RemoveNode {
  constructor(private readonly deps: { registry: PeerRegistry; clock: Clock; refute?: () => void }) {}

  execute(input: { id: unknown; url: unknown; reason?: 'left' | 'dead' }): void {
    const { registry, clock, refute } = this.deps;
    const node = nodeRecord(input.id, input.url);
    if (node.id === registry.self.id && node.url === registry.self.url) refute?.();
    registry.remove(node, clock.now(), input.reason ?? 'left');
  }
}
