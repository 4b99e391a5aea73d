import { connected } from '../peers.js';
import type { MeshLink, MeshNode } from '../protocol/frames.js';
import type { AppState } from '../state.js';

const MAX_MESH_NODES = 300;

export interface Graph {
  source: 'mesh' | 'star';
  nodes: MeshNode[];
  links: MeshLink[];
}

/**
 * What the map draws: the node's mesh frame, or until one comes a star from its node list. Nodes that
 * dropped out of the list are added as down; while the page cannot hear from its node every state is unknown.
 */
export function currentGraph(state: AppState): Graph {
  const self = state.self;
  let graph: Graph;
  if (state.mesh) {
    graph = { source: 'mesh', nodes: state.mesh.nodes, links: state.mesh.links };
  } else {
    const list: MeshNode[] = state.nodes
      .slice(0, MAX_MESH_NODES)
      .map((n) => ({ id: n.id, url: n.url, state: n.state ?? 'alive' }));
    if (self && !list.some((n) => n.id === self.id))
      list.unshift({ id: self.id, url: self.url, state: 'alive' });
    const links = self ? list.filter((n) => n.id !== self.id).map((n) => ({ from: self.id, to: n.id })) : [];
    graph = { source: 'star', nodes: list, links };
  }
  const ids = new Set(graph.nodes.map((n) => n.id));
  const nodes = [...graph.nodes];
  for (const n of state.gone.values()) {
    if (nodes.length >= MAX_MESH_NODES) break;
    if (!ids.has(n.id) && n.id !== self?.id) nodes.push({ id: n.id, url: n.url, state: 'dead' });
  }
  const shown = connected(state) ? nodes : nodes.map((n) => ({ ...n, state: 'unknown' }));
  return { ...graph, nodes: shown };
}
