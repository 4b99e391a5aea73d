/**
 * A bounded set of recently seen message ids, oldest forgotten first: receivers de-duplicate on it so any
 * hop may retry safely.
 */
export class RecentIds {
  readonly #ids = new Set<string>();

  constructor(readonly capacity = 10_000) {}

  /** Records the id; returns false when it was already there. */
  add(id: string): boolean {
    if (this.#ids.has(id)) return false;
    this.#ids.add(id);
    if (this.#ids.size > this.capacity) {
      const oldest = this.#ids.values().next().value;
      if (oldest !== undefined) this.#ids.delete(oldest);
    }
    return true;
  }

  has(id: string): boolean {
    return this.#ids.has(id);
  }
}
