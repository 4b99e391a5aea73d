import type { MeshGraph, MeshLink, MeshNodeView } from '../../domain/mesh-graph.js';
import type { NodeReport, PeerRegistry } from '../../domain/peer-registry.js';
import type { Telemetry } from '../ports/telemetry.js';

/** Most links on one map; a bigger network's map is cut (the web page draws far fewer anyway). */
export const MAX_MESH_LINKS = 20_000;

/**
 * The network as this node sees it: every node it lists or remembers as gone, and which node knows which.
 * This node's own links are its member list; another member's are the last `GET /nodes` it answered to this
 * node's anti-entropy, which asks a random live member each round (so a map of n nodes is complete after about
 * n·ln n gossip rounds). Links go only between current members: a node that is gone has none, and no member
 * keeps a link to it on the map. A view keeps only ids this node lists, and all views together at most
 * `MAX_MESH_LINKS` ids, so a peer's list, however long or made up, cannot grow the map.
 */
export class MeshMap implements Pick<Telemetry, 'viewReceived'> {
  readonly #views = new Map<string, readonly string[]>();
  #stored = 0;
  readonly #listeners = new Set<() => void>();

  constructor(private readonly registry: PeerRegistry) {
    registry.onChange((change) => {
      if (change.kind === 'removed' && this.#setView(change.node.id, undefined)) this.#changed();
    });
  }

  viewReceived(source: string, reports: readonly NodeReport[]): void {
    const { registry } = this;
    if (source === registry.self.id || !registry.get(source)) return;
    const room = MAX_MESH_LINKS - (this.#stored - (this.#views.get(source)?.length ?? 0));
    const knows = [
      ...new Set(
        reports
          .filter(
            (r) => r.id !== source && (r.state === undefined || r.state === 'alive' || r.state === 'suspect'),
          )
          .map((r) => r.id)
          .filter((id) => registry.get(id) !== undefined),
      ),
    ]
      .sort()
      .slice(0, Math.max(0, room));
    if (this.#setView(source, knows)) this.#changed();
  }

  /** Called when a member's view changed (membership changes come from the registry's own `onChange`). */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  snapshot(): MeshGraph {
    const { registry } = this;
    const self = registry.self;
    const members = registry.peers();
    const nodes: MeshNodeView[] = [
      { id: self.id, url: self.url, state: 'alive' },
      ...members.map((m) => ({ id: m.id, url: m.url, state: m.state })),
      ...registry.tombstones().map((t) => ({ id: t.id, url: t.url, state: t.reason })),
    ];
    const links: MeshLink[] = members.map((m) => ({ from: self.id, to: m.id }));
    for (const [from, knows] of this.#views) {
      for (const to of knows) if (registry.get(to)) links.push({ from, to });
    }
    return { nodes, links: links.slice(0, MAX_MESH_LINKS) };
  }

  /** Replaces (or with `undefined` drops) a member's view; says whether anything changed. */
  #setView(source: string, knows: readonly string[] | undefined): boolean {
    const before = this.#views.get(source);
    if (before === undefined && knows === undefined) return false;
    if (before && knows && before.length === knows.length && before.every((id, i) => id === knows[i]))
      return false;
    this.#stored += (knows?.length ?? 0) - (before?.length ?? 0);
    if (knows) this.#views.set(source, knows);
    else this.#views.delete(source);
    return true;
  }

  #changed(): void {
    for (const listener of this.#listeners) listener();
  }
}
