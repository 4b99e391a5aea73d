import { el } from '../dom.js';
import { type ShownState, stateWords } from '../peers.js';

/** A dot (its shape differs per state, not only its colour) followed by the state in words. */
export function stateLabel(state: ShownState, raw?: string): HTMLElement {
  const label = el('span', `node-state state-${state}`);
  const dot = el('span', 'state-dot');
  dot.setAttribute('aria-hidden', 'true');
  label.append(dot, document.createTextNode(stateWords(state, raw)));
  return label;
}
