import { isRecord } from '../../../src/client/index.js';
import type { AppState, View } from '../state.js';
import type { Store } from '../store.js';
import type { Ui } from './ui.js';

export interface PaneHooks {
  /** The pane's state changed whether the open conversation is being read. */
  readingChanged(): void;
  focusList(key: string | undefined): void;
  focusMap(): void;
}

/**
 * Which pane is in front. A phone shows one pane (list, chat or map); a mid-size screen shows the list with
 * the chat or the map; a wide one shows all three. Where a pane covers another, opening it adds a browser
 * history step, so the browser's back button goes back too; Escape and the back buttons do the same.
 */
export class Panes {
  readonly #narrow: MediaQueryList;
  readonly #wide: MediaQueryList;
  readonly coarsePointer: MediaQueryList;
  #beforeMesh: View = 'chat';

  constructor(
    private readonly ui: Ui,
    private readonly store: Store<AppState>,
    private readonly hooks: PaneHooks,
  ) {
    this.#narrow = window.matchMedia('(max-width: 720px)');
    this.#wide = window.matchMedia('(min-width: 1100px)');
    this.coarsePointer = window.matchMedia('(pointer: coarse)');
    const relayout = (): void => this.setView(this.view, false);
    this.#narrow.addEventListener('change', relayout);
    this.#wide.addEventListener('change', relayout);
    document.addEventListener('visibilitychange', () => this.updateReading());
    ui.back.addEventListener('click', () => this.goBack());
    ui.meshToggle.addEventListener('click', () =>
      this.view === 'mesh' ? this.closeMesh() : this.openMesh(),
    );
    ui.meshBack.addEventListener('click', () => this.closeMesh());
    document.addEventListener('keydown', (ev) => this.#onEscape(ev));
    window.addEventListener('popstate', (ev) => this.#onPopState(ev));
  }

  get view(): View {
    return this.store.state.view;
  }

  defaultView(): View {
    return this.#narrow.matches ? 'list' : 'chat';
  }

  /** Shows a pane; `push` adds a history step where it covers another one. */
  setView(next: View, push: boolean): void {
    const narrow = this.#narrow.matches;
    const wide = this.#wide.matches;
    let v = next;
    if (v === 'list' && !narrow) v = 'chat';
    if (v === 'mesh' && wide) v = 'chat';
    if (v === 'chat' && this.store.state.openKey === undefined) v = narrow ? 'list' : 'chat';
    const covers = (v === 'chat' && narrow) || (v === 'mesh' && !wide);
    if (push && covers && v !== this.view) {
      try {
        history.pushState({ meshchat: v }, '');
      } catch {
        // A sandboxed page may refuse; the in-page back button still works.
      }
    }
    this.store.update((s) => {
      s.view = v;
    });
    document.body.dataset.view = v;
    this.ui.meshToggle.setAttribute('aria-pressed', v === 'mesh' ? 'true' : 'false');
    this.updateReading();
  }

  /** A conversation opened from the list or the map: its pane comes to the front. */
  showChat(): void {
    if (this.view === 'mesh') this.#leaveMeshForChat();
    else this.setView('chat', true);
  }

  goBack(): void {
    if (this.view === 'mesh') {
      this.closeMesh();
      return;
    }
    if (this.#narrow.matches) {
      if (this.#historyIs('chat')) history.back();
      else this.setView('list', false);
    }
    this.hooks.focusList(this.store.state.openKey);
  }

  openMesh(): void {
    if (this.view === 'mesh') return;
    this.#beforeMesh = this.view;
    this.setView('mesh', true);
    this.store.flush();
    this.hooks.focusMap();
  }

  closeMesh(): void {
    if (this.view !== 'mesh') return;
    if (this.#historyIs('mesh')) history.back();
    else this.setView(this.#beforeMesh === 'mesh' ? this.defaultView() : this.#beforeMesh, false);
    this.ui.meshToggle.focus();
  }

  #historyIs(view: View): boolean {
    return isRecord(history.state) && history.state.meshchat === view;
  }

  /**
   * The map is a side trip: a conversation opened from it takes its place in the browser history, so "back"
   * from that conversation goes to the list (phone) and not to the map again.
   */
  #leaveMeshForChat(): void {
    if (!this.#historyIs('mesh')) {
      this.setView('chat', true);
      return;
    }
    if (this.#beforeMesh === 'chat' || !this.#narrow.matches) history.back();
    else {
      try {
        history.replaceState({ meshchat: 'chat' }, '');
      } catch {
        // See setView.
      }
    }
    this.setView('chat', false);
  }

  /** The conversation pane is visible and the tab too: what arrives in the open conversation is read. */
  updateReading(): void {
    const s = this.store.state;
    let onScreen = s.openKey !== undefined;
    if (this.#narrow.matches) onScreen &&= s.view === 'chat';
    else if (!this.#wide.matches) onScreen &&= s.view !== 'mesh';
    const reading = onScreen && !document.hidden;
    if (reading === s.reading) return;
    this.store.update((state) => {
      state.reading = reading;
    });
    if (reading) this.hooks.readingChanged();
  }

  #onEscape(ev: KeyboardEvent): void {
    if (ev.key !== 'Escape' || ev.isComposing || ev.defaultPrevented) return;
    const target = ev.target;
    if (this.view === 'mesh' || (target instanceof Node && this.ui.meshPanel.contains(target))) {
      if (this.view === 'mesh') {
        ev.preventDefault();
        this.closeMesh();
      } else {
        this.hooks.focusList(this.store.state.openKey);
      }
      return;
    }
    if (target instanceof Node && this.ui.nodeList.contains(target)) return;
    if (this.view === 'chat') {
      ev.preventDefault();
      this.goBack();
    }
  }

  #onPopState(ev: PopStateEvent): void {
    const state: unknown = ev.state;
    const wanted = isRecord(state) ? state.meshchat : undefined;
    const next: View = wanted === 'chat' || wanted === 'mesh' ? wanted : this.defaultView();
    const wasMesh = this.view === 'mesh';
    this.setView(next, false);
    if (this.view === 'list') this.hooks.focusList(this.store.state.openKey);
    else if (wasMesh && this.view !== 'mesh') this.ui.meshToggle.focus();
  }
}
