import { Conflict, UnknownNode } from './errors.js';
import type { NodeRecord } from './node-record.js';

export type RegistryChange = { readonly kind: 'added' | 'updated' | 'removed'; readonly node: NodeRecord };
export type UpsertResult = 'added' | 'updated' | 'unchanged';

/**
 * The nodes this node knows: itself plus its peers, keyed by id. Pure state; callers are told of every
 * change through `onChange` so front ends can push the list when it moves.
 */
export class PeerRegistry {
  #self: NodeRecord;
  readonly #peers = new Map<string, NodeRecord>();
  readonly #listeners = new Set<(change: RegistryChange) => void>();

  constructor(self: NodeRecord) {
    this.#self = self;
  }

  get self(): NodeRecord {
    return this.#self;
  }

  /** The node's own URL becomes known only once it listens (or its tunnel opens). */
  setSelfUrl(url: string): void {
    if (url === this.#self.url) return;
    this.#self = { id: this.#self.id, url };
    this.#emit({ kind: 'updated', node: this.#self });
  }

  /** Every node known, itself first, then peers by id. */
  list(): NodeRecord[] {
    return [this.#self, ...this.peers()];
  }

  peers(): NodeRecord[] {
    return [...this.#peers.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  get(id: string): NodeRecord | undefined {
    return id === this.#self.id ? this.#self : this.#peers.get(id);
  }

  get size(): number {
    return this.#peers.size + 1;
  }

  /**
   * Adds a node or moves it to a new URL. A record for this node's own id is accepted only when it carries
   * this node's URL (an echo of itself); any other URL for that id is a conflict.
   */
  upsert(node: NodeRecord): UpsertResult {
    if (node.id === this.#self.id) {
      if (node.url === this.#self.url) return 'unchanged';
      throw new Conflict('id_in_use', `The id "${node.id}" belongs to this node, which listens at ${this.#self.url}.`);
    }
    const known = this.#peers.get(node.id);
    if (known && known.url === node.url) return 'unchanged';
    const record = { id: node.id, url: node.url };
    this.#peers.set(node.id, record);
    this.#emit({ kind: known ? 'updated' : 'added', node: record });
    return known ? 'updated' : 'added';
  }

  /** Removes a peer, honoured only when both id and url match what is known (the base protocol's rule). */
  remove(node: NodeRecord): void {
    if (node.id === this.#self.id) {
      throw new Conflict('cannot_remove_self', 'A node cannot be removed from its own list.');
    }
    const known = this.#peers.get(node.id);
    if (!known) throw new UnknownNode(node.id);
    if (known.url !== node.url) {
      throw new Conflict(
        'url_mismatch',
        `Node "${node.id}" is known at ${known.url}, not ${node.url}; it was not removed.`,
      );
    }
    this.#peers.delete(node.id);
    this.#emit({ kind: 'removed', node: known });
  }

  onChange(listener: (change: RegistryChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(change: RegistryChange): void {
    for (const listener of this.#listeners) listener(change);
  }
}
