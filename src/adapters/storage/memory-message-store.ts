import { StoreClosed } from '../../application/errors.js';
import type { Enqueued, MessageStore, NewOutboxEntry } from '../../application/ports/message-store.js';
import type { DeliveryStatus, HistoryEntry, OutboxEntry } from '../../domain/delivery.js';
import type { ChatMessage } from '../../domain/message.js';
import {
  DEFAULT_MESSAGE_STORE_SETTINGS,
  type MessageStoreSettings,
  SEEN_PRUNE_INTERVAL_MS,
} from './message-store-settings.js';

/**
 * `MessageStore` in memory, for a node without a data dir: nothing survives the process. Writes take effect at
 * once and resolve on a microtask, in call order; they never reject.
 *
 * History holds one entry per id: adding an id already in history (an outgoing message also accepted locally)
 * keeps the existing entry as it is. Ids are forgotten in the order they were accepted, which assumes the `now`
 * given to `accept` does not go backwards.
 */
export class MemoryMessageStore implements MessageStore {
  readonly #historySize: number;
  readonly #dedupWindowMs: number;
  readonly #maxSeenIds: number;
  /** Accepted id → the `now` it was accepted at, in acceptance order. */
  readonly #seen = new Map<string, number>();
  /** In the order entries were added; a status change keeps an entry's place. */
  readonly #history = new Map<string, HistoryEntry>();
  /** History's ids in the order they were added: `#order[i]` was added at position `#base + i`. */
  readonly #order: string[] = [];
  /** Each kept id's position. */
  readonly #positions = new Map<string, number>();
  #base = 0;
  /** By key, which is insertion order. */
  readonly #outbox = new Map<number, OutboxEntry>();
  #seq = 0;
  #key = 0;
  #lastPrune = Number.NEGATIVE_INFINITY;
  #closed = false;

  constructor(settings: MessageStoreSettings = DEFAULT_MESSAGE_STORE_SETTINGS) {
    this.#historySize = settings.historySize;
    this.#dedupWindowMs = settings.dedupWindowMs;
    this.#maxSeenIds = settings.maxSeenIds ?? DEFAULT_MESSAGE_STORE_SETTINGS.maxSeenIds;
  }

  seen(id: string): boolean {
    return this.#seen.has(id);
  }

  accept(message: ChatMessage, now: number): Promise<HistoryEntry | undefined> {
    if (this.#closed) return Promise.reject(new StoreClosed());
    if (this.#seen.has(message.id)) return Promise.resolve(undefined);
    if (now - this.#lastPrune >= SEEN_PRUNE_INTERVAL_MS) {
      this.#lastPrune = now;
      const cutoff = now - this.#dedupWindowMs;
      for (const [id, at] of this.#seen) {
        if (at >= cutoff) break;
        this.#seen.delete(id);
      }
    }
    this.#seen.set(message.id, now);
    if (this.#seen.size > this.#maxSeenIds) this.#seen.delete(this.#seen.keys().next().value as string);
    return Promise.resolve(this.#history.get(message.id) ?? this.#add({ ...message, seq: ++this.#seq }));
  }

  enqueue(
    entries: readonly NewOutboxEntry[],
    options: { readonly outgoing?: ChatMessage } = {},
  ): Promise<Enqueued> {
    if (this.#closed) return Promise.reject(new StoreClosed());
    const queued = entries.map((entry) => ({ ...entry, key: ++this.#key }));
    for (const entry of queued) this.#outbox.set(entry.key, entry);
    const { outgoing } = options;
    if (!outgoing || this.#history.has(outgoing.id)) return Promise.resolve({ entries: queued });
    return Promise.resolve({
      entries: queued,
      outgoing: this.#add({ ...outgoing, seq: ++this.#seq, status: 'queued' }),
    });
  }

  settle(keys: readonly number[]): Promise<void> {
    if (!this.#closed) for (const key of keys) this.#outbox.delete(key);
    return Promise.resolve();
  }

  setStatus(id: string, status: DeliveryStatus): Promise<HistoryEntry | undefined> {
    const entry = this.#closed ? undefined : this.#history.get(id);
    if (!entry) return Promise.resolve(undefined);
    const changed: HistoryEntry = { ...entry, status, seq: ++this.#seq };
    this.#history.set(id, changed);
    return Promise.resolve(changed);
  }

  pending(): OutboxEntry[] {
    return [...this.#outbox.values()];
  }

  history(since?: number): HistoryEntry[] {
    const all = [...this.#history.values()];
    if (since === undefined || since > this.#seq) return all;
    return all.filter((entry) => entry.seq > since);
  }

  historyBefore(before: string | undefined, limit: number): HistoryEntry[] {
    if (this.#closed) return [];
    let end = this.#order.length;
    if (before !== undefined) {
      const pos = this.#positions.get(before);
      if (pos === undefined) return [];
      end = pos - this.#base;
    }
    return this.#order
      .slice(Math.max(0, end - Math.max(0, limit)), end)
      .map((id) => this.#history.get(id) as HistoryEntry);
  }

  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }

  #add(entry: HistoryEntry): HistoryEntry {
    this.#history.set(entry.id, entry);
    this.#positions.set(entry.id, this.#base + this.#order.length);
    this.#order.push(entry.id);
    if (this.#history.size > this.#historySize) {
      const oldest = this.#order.shift() as string;
      this.#base++;
      this.#history.delete(oldest);
      this.#positions.delete(oldest);
    }
    return entry;
  }
}
