import { EVERYONE, type NodeInfo } from './protocol/frames.js';
import type { AppState } from './state.js';

/**
 * What the page shows of a node: its state from the node list, `unknown` while the page cannot hear from its
 * own node (whatever the list said is stale then), `other` for a state this page does not know.
 */
export type ShownState = 'alive' | 'suspect' | 'dead' | 'unknown' | 'other';

export function stateOfRaw(state: string | undefined): ShownState {
  const s = state ?? 'alive';
  // A node that left on purpose is as gone as one found dead: both are drawn as down.
  if (s === 'left') return 'dead';
  if (s === 'unknown') return 'unknown';
  return s === 'alive' || s === 'suspect' || s === 'dead' ? s : 'other';
}

export function connected(state: AppState): boolean {
  return state.conn.state === 'open';
}

export function peerState(state: AppState, id: string): ShownState {
  if (id === EVERYONE) return 'alive';
  if (!connected(state)) return 'unknown';
  const listed = state.nodes.find((n) => n.id === id);
  if (listed) return stateOfRaw(listed.state);
  if (id === state.self?.id) return 'alive';
  return state.nodes.length > 0 || state.gone.has(id) ? 'dead' : 'unknown';
}

export function peerInfo(state: AppState, id: string): NodeInfo | undefined {
  return (
    state.nodes.find((n) => n.id === id) ??
    state.gone.get(id) ??
    (id === state.self?.id ? state.self : undefined)
  );
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
 * The other nodes a broadcast goes to: every node listed, and every node that dropped out of the list
 * without leaving (a copy waits for it until it is back or the copy expires).
 */
export function broadcastReach(state: AppState): { total: number; down: number } {
  const selfId = state.self?.id;
  let total = 0;
  let down = 0;
  for (const n of state.nodes) {
    if (n.id === selfId || n.state === 'left') continue;
    total++;
    if (stateOfRaw(n.state) !== 'alive') down++;
  }
  for (const n of state.gone.values()) {
    if (n.id === selfId || n.state === 'left' || meshSaysLeft(state, n.id)) continue;
    total++;
    down++;
  }
  return { total, down };
}

function meshSaysLeft(state: AppState, id: string): boolean {
  return state.mesh?.nodes.some((n) => n.id === id && n.state === 'left') ?? false;
}
