import type { Member } from '../../domain/peer-registry.js';
import type { GossipReport } from '../ports/peer-client.js';

/**
 * Told of each node list anti-entropy pulled, after the list was merged into the registry: what else rides on
 * gossip (the mesh directory's versions) reads it here. Called synchronously; must return at once and not
 * throw (the round does not wait for what it starts).
 */
export interface ViewListener {
  viewMerged(source: Member, reports: readonly GossipReport[]): void;
}

/** One listener that tells each of `listeners` in turn (the mesh directory and the mesh catalog). */
export function allViews(...listeners: readonly ViewListener[]): ViewListener {
  return {
    viewMerged(source, reports) {
      for (const listener of listeners) listener.viewMerged(source, reports);
    },
  };
}
