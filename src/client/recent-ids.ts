/** Remembers the last `limit` ids added (oldest forgotten first), so a message that arrives twice is shown once. */
export class RecentIds {
  readonly #ids = new Set<string>();

  constructor(private readonly limit = 5000) {}

  has(id: string): boolean {
    return this.#ids.has(id);
  }

  /** True when the id was new (and is now remembered). */
  add(id: string): boolean {
    if (this.#ids.has(id)) return false;
    this.#ids.add(id);
    if (this.#ids.size > this.limit) {
      const oldest = this.#ids.values().next();
      if (!oldest.done) this.#ids.delete(oldest.value);
    }
    return true;
  }
}
