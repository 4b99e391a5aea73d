import type { NodeRecord } from '../../domain/node-record.js';
import { MAX_MEMBERS, type NodeReport, type PeerRegistry } from '../../domain/peer-registry.js';
import type { Telemetry } from '../ports/telemetry.js';

/** A node on the map: members are `alive` or `suspect`; a node that is gone is `dead` or `left`. */
export interface MeshNodeView {
  readonly id: string;
  readonly url: string;
  readonly state: 'alive' | 'suspect' | 'dead' | 'left';
}

/** `from` lists `to` as a member. */
export interface MeshLink {
  readonly from: string;
  readonly to: string;
}

export interface MeshGraph {
  readonly nodes: readonly MeshNodeView[];
  readonly links: readonly MeshLink[];
}

/** Most links on one map; a bigger network's map is cut (the web page draws far fewer anyway). */
export const MAX_MESH_LINKS = 20_000;

/**
 * The network as this node sees it: every node it lists or remembers as gone, and which node knows which.
 * This node's own links are its member list; another member's are the last `GET /nodes` it answered to this
 * node's anti-entropy (each member is asked in turn, so a map of n nodes is complete after about n gossip
 * rounds). A member's view is dropped when it leaves the list, so a dead node has no links.
 */
export class MeshMap implements Pick<Telemetry, 'viewReceived'> {
  readonly #views = new Map<string, readonly string[]>();
  readonly #listeners = new Set<() => void>();

  constructor(private readonly registry: PeerRegistry) {
    registry.onChange((change) => {
      if (change.kind === 'removed' && this.#views.delete(change.node.id)) this.#changed();
    });
  }

  viewReceived(source: NodeRecord, reports: readonly NodeReport[]): void {
    if (!this.registry.get(source.id) || source.id === this.registry.self.id) return;
    const knows = [
      ...new Set(
        reports
          .filter((r) => r.id !== source.id && (r.state === undefined || r.state === 'alive' || r.state === 'suspect'))
          .map((r) => r.id),
      ),
    ]
      .slice(0, MAX_MEMBERS)
      .sort();
    const before = this.#views.get(source.id);
    if (before && before.length === knows.length && before.every((id, i) => id === knows[i])) return;
    this.#views.set(source.id, knows);
    this.#changed();
  }

  /** Called when a member's view changed (membership changes come from the registry's own `onChange`). */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  snapshot(): MeshGraph {
    const { registry } = this;
    const self = registry.self;
    const nodes: MeshNodeView[] = [
      { id: self.id, url: self.url, state: 'alive' },
      ...registry.peers().map((m) => ({ id: m.id, url: m.url, state: m.state })),
      ...registry.tombstones().map((t) => ({ id: t.id, url: t.url, state: t.reason })),
    ];
    const shown = new Set(nodes.map((n) => n.id));
    const links: MeshLink[] = registry.peers().map((m) => ({ from: self.id, to: m.id }));
    for (const [from, knows] of this.#views) {
      for (const to of knows) {
        if (links.length >= MAX_MESH_LINKS) return { nodes, links };
        if (shown.has(to)) links.push({ from, to });
      }
    }
    return { nodes, links };
  }

  #changed(): void {
    for (const listener of this.#listeners) listener();
  }
}
