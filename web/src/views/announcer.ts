import { el } from '../dom.js';
import type { AppState } from '../state.js';
import type { Ui } from './ui.js';

/** Kept in the polite live region; older lines leave it. */
const KEPT = 3;

/** Speaks the state's pending announcements (new messages) to screen readers, then drops them. */
export function renderAnnouncements(ui: Ui, state: AppState): void {
  for (const text of state.announcements.splice(0)) ui.announcer.append(el('p', undefined, text));
  while (ui.announcer.childElementCount > KEPT) ui.announcer.firstElementChild?.remove();
}
