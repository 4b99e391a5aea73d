import { StoreClosed } from '../../application/errors.js';
import type { Inbox } from '../../application/ports/inbox.js';
import type { HistoryEntry } from '../../domain/delivery.js';

/** `Inbox` in memory: a node without a data dir, and tests. Keeps nothing across a close or restart. */
export class MemoryInbox implements Inbox {
  /** Per user, message id → entry, in the order added. */
  readonly #waiting = new Map<string, Map<string, HistoryEntry>>();
  #closed = false;

  add(name: string, entry: HistoryEntry): void {
    this.#open();
    const box = this.#waiting.get(name) ?? new Map<string, HistoryEntry>();
    if (!box.has(entry.id)) box.set(entry.id, structuredClone(entry));
    this.#waiting.set(name, box);
  }

  count(name: string): number {
    this.#open();
    return this.#waiting.get(name)?.size ?? 0;
  }

  list(name: string): HistoryEntry[] {
    this.#open();
    return [...(this.#waiting.get(name)?.values() ?? [])].map((entry) => structuredClone(entry));
  }

  remove(name: string, ids: readonly string[]): void {
    this.#open();
    const box = this.#waiting.get(name);
    for (const id of ids) box?.delete(id);
    if (box?.size === 0) this.#waiting.delete(name);
  }

  clear(name: string): number {
    this.#open();
    const removed = this.#waiting.get(name)?.size ?? 0;
    this.#waiting.delete(name);
    return removed;
  }

  close(): void {
    this.#closed = true;
  }

  #open(): void {
    if (this.#closed) throw new StoreClosed();
  }
}
