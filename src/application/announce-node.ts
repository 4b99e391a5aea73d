import { nodeRecord } from '../domain/node-record.js';
import type { PeerRegistry, UpsertResult } from '../domain/peer-registry.js';

/** `PUT /nodes/:id {url}`: a node tells this node where it listens (joining, or after a URL change). */
export class AnnounceNode {
  constructor(private readonly deps: { registry: PeerRegistry }) {}

  execute(input: { id: unknown; url: unknown }): UpsertResult {
    return this.deps.registry.upsert(nodeRecord(input.id, input.url));
  }
}
