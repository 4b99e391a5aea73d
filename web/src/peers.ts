import { EVERYONE, type NodeInfo, type PeerView } from '../../src/client/index.js';
import { plural } from './format.js';
import type { AppState } from './state.js';

/**
 * What the page shows of a node, from the state the client core tells: `dead` for every way of being gone
 * (it left, went down, or is no longer listed), `unknown` while the page cannot hear from its own node,
 * `other` for a state this page does not know.
 */
export type ShownState = 'alive' | 'suspect' | 'dead' | 'unknown' | 'other';

const GONE = new Set(['dead', 'left', 'gone']);

export function stateOfRaw(state: string): ShownState {
  if (GONE.has(state)) return 'dead';
  return state === 'alive' || state === 'suspect' || state === 'unknown' ? state : 'other';
}

export function connected(state: AppState): boolean {
  return state.conn.state === 'open';
}

/** A node the core never told of is shown down once its node listed the others (it is not among them). */
export function peerState(state: AppState, id: string): ShownState {
  if (id === EVERYONE) return 'alive';
  const known = state.nodes.find((n) => n.id === id);
  if (known) return stateOfRaw(known.state);
  if (id === state.self?.id) return connected(state) ? 'alive' : 'unknown';
  return connected(state) && state.nodes.length > 0 ? 'dead' : 'unknown';
}

export function peerInfo(state: AppState, id: string): PeerView | NodeInfo | undefined {
  return state.nodes.find((n) => n.id === id) ?? (id === state.self?.id ? state.self : undefined);
}

const STATE_TEXT: Record<Exclude<ShownState, 'other'>, string> = {
  alive: 'up',
  suspect: 'not answering',
  dead: 'down',
  unknown: 'unknown',
};

/** A state this page does not know is shown as the node sent it. */
export function stateWords(state: ShownState, raw?: string): string {
  if (state === 'unknown') return STATE_TEXT.unknown;
  if (raw === 'left') return 'left';
  return state === 'other' ? raw || 'unknown' : STATE_TEXT[state];
}

/**
 * The other nodes a broadcast goes to: every node known but this one and those that left (a copy waits for
 * a node that went down until it is back or the copy expires). `down` counts those known not to answer;
 * `unknown` those whose state the page cannot know now (it cannot reach its own node), which are not down.
 */
export function broadcastReach(state: AppState): { total: number; down: number; unknown: number } {
  let total = 0;
  let down = 0;
  let unknown = 0;
  for (const n of state.nodes) {
    if (n.self || n.state === 'left') continue;
    total++;
    const shown = stateOfRaw(n.state);
    if (shown === 'unknown') unknown++;
    else if (shown !== 'alive') down++;
  }
  return { total, down, unknown };
}

/** Who a broadcast reaches, in words: "2 other nodes", "2 other nodes, 1 down". */
export function reachWords(state: AppState): string {
  const { total, down, unknown } = broadcastReach(state);
  const parts = [plural(total, 'other node')];
  if (down > 0) parts.push(`${down} down`);
  if (unknown > 0) parts.push(`${unknown} unknown`);
  return parts.join(', ');
}
