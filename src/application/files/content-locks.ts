/**
 * Serialises the steps that decide whether a content stays in the store: publish (commit the bytes, add the
 * record) and delete (remove the record, remove the bytes when no record holds them). Without it a delete could
 * remove bytes that a publish of the same content had just found already there. One process, one node: a
 * promise chain per content id, dropped when idle.
 */
export class ContentLocks {
  readonly #tails = new Map<string, Promise<unknown>>();

  async run<T>(id: string, step: () => Promise<T>): Promise<T> {
    const before = this.#tails.get(id) ?? Promise.resolve();
    const result = before.then(step, step);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(id, tail);
    try {
      return await result;
    } finally {
      if (this.#tails.get(id) === tail) this.#tails.delete(id);
    }
  }
}
