import { StoreClosed } from '../../src/application/errors.js';
import type { HeldCopies } from '../../src/application/ports/files/held-copies.js';

/** `HeldCopies` in memory, held to the same contract as the SQLite adapter (`test/contract/held-copies-contract.ts`). */
export class InMemoryHeldCopies implements HeldCopies {
  readonly #ids = new Set<string>();
  #closed = false;

  list(): string[] {
    this.#open();
    return [...this.#ids];
  }

  add(id: string): void {
    this.#open();
    this.#ids.add(id);
  }

  touch(id: string): void {
    this.#open();
    if (this.#ids.delete(id)) this.#ids.add(id);
  }

  remove(id: string): void {
    this.#open();
    this.#ids.delete(id);
  }

  close(): void {
    this.#closed = true;
  }

  #open(): void {
    if (this.#closed) throw new StoreClosed('This node is stopping; try again later or on another node.');
  }
}
