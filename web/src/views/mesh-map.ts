import { svg } from '../dom.js';
import { byCodeUnits, ellipsize, initial, plural } from '../format.js';
import { connected, stateOfRaw, stateWords } from '../peers.js';
import type { AppState } from '../state.js';
import { currentGraph, type Graph, type MapNode } from './mesh-graph.js';
import { circleLayout, edgePath, labelAbove, meshViewBox, NODE_R, type Point } from './mesh-layout.js';
import type { Ui } from './ui.js';

/** The network map: an SVG drawn with DOM calls in a deterministic circular layout, nodes operable by keys. */
export class MeshMap {
  #drawn = '';

  constructor(
    private readonly ui: Ui,
    private readonly open: (key: string) => void,
  ) {
    ui.mesh.addEventListener('click', (ev) => {
      const id = this.#nodeOf(ev.target)?.dataset.nodeId;
      if (id !== undefined) open(id);
    });
    ui.mesh.addEventListener('keydown', (ev) => this.#onKeydown(ev));
  }

  /** Focus for the map when it opens: the roving node, else the panel. */
  focus(): void {
    const target =
      this.ui.mesh.querySelector('.mesh-node[tabindex="0"]') ?? this.ui.mesh.querySelector('.mesh-node');
    if (target instanceof SVGGElement) target.focus();
    else this.ui.meshPanel.focus();
  }

  render(state: AppState): void {
    const graph = currentGraph(state);
    const unread = [...state.conversations.values()]
      .filter((c) => c.unread > 0)
      .map((c) => [c.key, c.unread]);
    const sig = JSON.stringify([graph, state.self?.id, state.openKey, unread, state.mesh?.cut]);
    if (sig === this.#drawn) return;
    this.#drawn = sig;
    const { mesh } = this.ui;
    const active = document.activeElement;
    const focusedId =
      active instanceof SVGGElement && mesh.contains(active) ? active.dataset.nodeId : undefined;
    const selfId = state.self?.id;
    const { pos, radius } = circleLayout(
      graph.nodes.map((n) => n.id),
      selfId,
    );
    mesh.setAttribute('viewBox', meshViewBox(pos, radius));
    mesh.dataset.source = graph.source;
    mesh.dataset.nodes = String(graph.nodes.length);
    mesh.dataset.links = String(graph.links.length);

    const linkKeys = new Set(graph.links.map((l) => JSON.stringify([l.from, l.to])));
    const outDegree = new Map<string, number>();
    const inDegree = new Map<string, number>();
    for (const l of graph.links) {
      outDegree.set(l.from, (outDegree.get(l.from) ?? 0) + 1);
      inDegree.set(l.to, (inDegree.get(l.to) ?? 0) + 1);
    }

    const defs = svg('defs');
    for (const [markerId, cls] of [
      ['mesh-arrow', 'mesh-arrow'],
      ['mesh-arrow-active', 'mesh-arrow is-active'],
    ] as const) {
      const marker = svg('marker', {
        id: markerId,
        viewBox: '0 0 10 10',
        refX: 9,
        refY: 5,
        markerWidth: 7,
        markerHeight: 7,
        markerUnits: 'userSpaceOnUse',
        orient: 'auto',
      });
      marker.append(svg('path', { d: 'M0,0L10,5L0,10Z', class: cls }));
      defs.append(marker);
    }

    const openKey = state.openKey;
    const edges = svg('g', { class: 'mesh-edges' });
    for (const link of graph.links) {
      const a = pos.get(link.from);
      const b = pos.get(link.to);
      if (!a || !b) continue;
      const mutual = linkKeys.has(JSON.stringify([link.to, link.from]));
      const path = svg('path', { class: 'mesh-edge', d: edgePath(a, b, mutual) });
      path.dataset.from = link.from;
      path.dataset.to = link.to;
      path.dataset.testid = 'mesh-edge';
      if (mutual) path.dataset.mutual = 'true';
      const isActive = openKey !== undefined && (link.from === openKey || link.to === openKey);
      if (isActive) path.classList.add('is-active');
      path.setAttribute('marker-end', `url(#${isActive ? 'mesh-arrow-active' : 'mesh-arrow'})`);
      edges.append(path);
    }

    const group = svg('g', { class: 'mesh-nodes' });
    const order = [...graph.nodes].sort((x, y) => {
      if (x.id === selfId) return -1;
      if (y.id === selfId) return 1;
      return byCodeUnits(x.id, y.id);
    });
    const rovingId =
      focusedId ?? (openKey !== undefined && pos.has(openKey) ? openKey : (selfId ?? order[0]?.id));
    for (const node of order) {
      const p = pos.get(node.id);
      if (!p) continue;
      group.append(
        this.#node(state, node, p, {
          tabbable: node.id === rovingId,
          lists: outDegree.get(node.id) ?? 0,
          listedBy: inDegree.get(node.id) ?? 0,
          radius,
        }),
      );
    }
    mesh.replaceChildren(defs, edges, group);
    if (focusedId !== undefined) this.#focusNode(focusedId);
    this.#summary(state, graph);
  }

  #node(
    state: AppState,
    node: MapNode,
    p: Point,
    info: { tabbable: boolean; lists: number; listedBy: number; radius: number },
  ): SVGGElement {
    const shown = stateOfRaw(node.state);
    const isSelf = node.id === state.self?.id;
    const unread = state.conversations.get(node.id)?.unread ?? 0;
    const g = svg('g', { class: 'mesh-node', transform: `translate(${p.x},${p.y})` });
    g.dataset.nodeId = node.id;
    g.dataset.state = shown;
    g.dataset.testid = 'mesh-node';
    g.setAttribute('role', 'button');
    g.setAttribute('tabindex', info.tabbable ? '0' : '-1');
    if (isSelf) g.classList.add('is-self');
    if (node.id === state.openKey) g.classList.add('is-open');
    const words = stateWords(shown, node.state);
    const label = [
      node.id,
      isSelf ? `this node, ${words}` : words,
      `lists ${plural(info.lists, 'node')}`,
      `listed by ${plural(info.listedBy, 'node')}`,
    ];
    if (unread > 0) label.push(plural(unread, 'unread message'));
    g.setAttribute('aria-label', `${label.join(', ')}. Open the conversation`);

    const title = svg('title');
    title.textContent = node.url ? `${node.id} — ${node.url} · ${words}` : `${node.id} · ${words}`;
    g.append(title);
    g.append(svg('circle', { class: 'mesh-focus', r: NODE_R + 6 }));
    if (isSelf) g.append(svg('circle', { class: 'mesh-self-ring', r: NODE_R + 3 }));
    g.append(svg('circle', { class: 'mesh-dot', r: NODE_R }));
    if (shown === 'dead') {
      const k = NODE_R * 0.55;
      g.append(svg('path', { class: 'mesh-cross', d: `M${-k},${-k}L${k},${k}M${k},${-k}L${-k},${k}` }));
    } else {
      const glyph = svg('text', { class: 'mesh-glyph', y: 5 });
      glyph.textContent = shown === 'alive' ? initial(node.id) : '?';
      g.append(glyph);
    }
    const above = labelAbove(p, info.radius);
    const name = svg('text', { class: 'mesh-label', y: above ? -NODE_R - 22 : NODE_R + 15 });
    name.textContent = ellipsize(node.id, 16);
    const sub = svg('text', { class: 'mesh-state', y: above ? -NODE_R - 9 : NODE_R + 28 });
    sub.textContent = isSelf ? `${words} · this node` : words;
    g.append(name, sub);
    if (unread > 0) {
      const badge = svg('g', { class: 'mesh-unread', transform: `translate(${NODE_R - 2},${-NODE_R + 2})` });
      badge.dataset.unread = String(unread);
      badge.append(svg('circle', { r: 8 }));
      const count = svg('text', { y: 3.5 });
      count.textContent = unread > 9 ? '9+' : String(unread);
      badge.append(count);
      g.append(badge);
    }
    return g;
  }

  #summary(state: AppState, graph: Graph): void {
    const out = this.ui.meshSummary;
    if (graph.nodes.length === 0) {
      out.textContent = 'Waiting for the node list…';
      return;
    }
    const counts = { alive: 0, suspect: 0, dead: 0, unknown: 0, other: 0 };
    for (const n of graph.nodes) counts[stateOfRaw(n.state)] += 1;
    const parts = [plural(graph.nodes.length, 'node'), `${counts.alive} up`];
    if (counts.suspect) parts.push(`${counts.suspect} not answering`);
    if (counts.dead) parts.push(`${counts.dead} down`);
    if (counts.unknown + counts.other) parts.push(`${counts.unknown + counts.other} unknown`);
    parts.push(plural(graph.links.length, 'link'));
    let text = parts.join(' · ');
    if (!connected(state)) text += '. Not connected to this node: states are unknown until it is back.';
    else if (graph.source === 'star')
      text += '. This node’s own list, until the node sends its map of the network.';
    else text += '. An arrow points from a node to a node it lists.';
    if (graph.source === 'mesh' && state.mesh?.cut) text += ' (Too big to draw whole: part of it is shown.)';
    out.textContent = text;
  }

  #nodes(): SVGGElement[] {
    return Array.from(this.ui.mesh.querySelectorAll<SVGGElement>('g.mesh-node'));
  }

  #focusNode(id: string | undefined): void {
    const all = this.#nodes();
    const target = all.find((g) => g.dataset.nodeId === id) ?? all[0];
    if (!target) return;
    for (const g of all) g.setAttribute('tabindex', g === target ? '0' : '-1');
    target.focus();
  }

  #nodeOf(target: EventTarget | null): SVGGElement | undefined {
    if (!(target instanceof Element)) return undefined;
    const g = target.closest('g.mesh-node');
    return g instanceof SVGGElement && this.ui.mesh.contains(g) ? g : undefined;
  }

  #onKeydown(ev: KeyboardEvent): void {
    const g = this.#nodeOf(ev.target);
    if (!g) return;
    const id = g.dataset.nodeId;
    if (ev.key === 'Enter' || ev.key === ' ') {
      ev.preventDefault();
      if (id !== undefined) this.open(id);
      return;
    }
    const all = this.#nodes();
    const i = all.indexOf(g);
    const next: Record<string, number> = {
      ArrowRight: (i + 1) % all.length,
      ArrowDown: (i + 1) % all.length,
      ArrowLeft: (i - 1 + all.length) % all.length,
      ArrowUp: (i - 1 + all.length) % all.length,
      Home: 0,
      End: all.length - 1,
    };
    const target = next[ev.key];
    if (target === undefined) return;
    ev.preventDefault();
    this.#focusNode(all[target]?.dataset.nodeId);
  }
}
