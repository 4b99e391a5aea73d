export type Listener<S> = (state: S) => void;

/**
 * The page's state and who draws it. `update` changes the state and schedules one render for the current
 * task (a microtask): a history of 500 messages, or a burst of frames, is drawn once, before the browser
 * paints. Listeners run in the order they subscribed.
 */
export class Store<S> {
  readonly #listeners: Listener<S>[] = [];
  #queued = false;

  constructor(readonly state: S) {}

  update(change?: (state: S) => void): void {
    change?.(this.state);
    if (this.#queued) return;
    this.#queued = true;
    queueMicrotask(() => this.flush());
  }

  /** Draws now (tests, and callers that must measure the page right after a change). */
  flush(): void {
    this.#queued = false;
    for (const listener of this.#listeners) listener(this.state);
  }

  subscribe(listener: Listener<S>): () => void {
    this.#listeners.push(listener);
    return () => {
      const i = this.#listeners.indexOf(listener);
      if (i >= 0) this.#listeners.splice(i, 1);
    };
  }
}
