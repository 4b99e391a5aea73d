import { MAX_MESH_NODES, type MeshLink } from '../../../src/client/index.js';
import { connected } from '../peers.js';
import type { AppState } from '../state.js';

/** A node on the map: its state as the client core tells it (drawn through `stateOfRaw`). */
export interface MapNode {
  readonly id: string;
  readonly url: string;
  readonly state: string;
}

export interface Graph {
  source: 'mesh' | 'star';
  nodes: MapNode[];
  links: readonly MeshLink[];
}

/**
 * What the map draws: the node's mesh frame, or until one comes a star from its node list. Nodes no longer
 * listed are added with the state the core gives them (gone, left, dead); while the page cannot hear from its
 * node every state is unknown.
 */
export function currentGraph(state: AppState): Graph {
  const self = state.self;
  let graph: Graph;
  if (state.mesh) {
    graph = { source: 'mesh', nodes: [...state.mesh.nodes], links: state.mesh.links };
  } else {
    const list: MapNode[] = state.nodes.filter((n) => n.listed).slice(0, MAX_MESH_NODES);
    if (self && !list.some((n) => n.id === self.id))
      list.unshift({ id: self.id, url: self.url, state: 'alive' });
    const links = self ? list.filter((n) => n.id !== self.id).map((n) => ({ from: self.id, to: n.id })) : [];
    graph = { source: 'star', nodes: list, links };
  }
  const ids = new Set(graph.nodes.map((n) => n.id));
  const nodes = [...graph.nodes];
  for (const n of state.nodes) {
    if (nodes.length >= MAX_MESH_NODES) break;
    if (!n.listed && !ids.has(n.id) && !n.self) nodes.push(n);
  }
  const shown = connected(state) ? nodes : nodes.map((n) => ({ ...n, state: 'unknown' }));
  return { ...graph, nodes: shown };
}
