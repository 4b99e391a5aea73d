import { assertNodeId, normalizeNodeUrl } from '../domain/node-record.js';
import type { PeerRegistry, UpsertResult } from '../domain/peer-registry.js';

/**
 * `PUT /nodes/:id {url, incarnation?}`: a node tells this node where it listens (joining, re-announcing a newer
 * incarnation, or after a URL change). Refused with a conflict when it would move a live node without a newer
 * incarnation.
 */
export class AnnounceNode {
  constructor(private readonly deps: { registry: PeerRegistry }) {}

  execute(input: { id: unknown; url: unknown; incarnation?: number }): UpsertResult {
    const report = { id: assertNodeId(input.id), url: normalizeNodeUrl(input.url) };
    return this.deps.registry.announce(input.incarnation === undefined ? report : { ...report, incarnation: input.incarnation });
  }
}
