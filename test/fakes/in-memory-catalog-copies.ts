import { StoreClosed } from '../../src/application/errors.js';
import type {
  CatalogCopies,
  CatalogCopyPart,
  PartLimits,
} from '../../src/application/ports/files/catalog-copies.js';
import type { FileQuery } from '../../src/application/ports/files/file-catalog.js';
import { catalogRecordBytes, matchesWords, type RemovedRecord } from '../../src/domain/catalog.js';
import type { FileRecord } from '../../src/domain/file-record.js';

interface Held {
  readonly node: string;
  readonly record: FileRecord;
  readonly seq: number;
  readonly bytes: number;
}

/** `CatalogCopies` in memory: the same rules as the SQLite adapter, words matched without ranking. */
export class InMemoryCatalogCopies implements CatalogCopies {
  readonly #records = new Map<string, Held>();
  readonly #versions = new Map<string, number>();
  readonly #held = new Map<string, Set<string>>();
  #seq = 0;
  #closed = false;

  parts(): CatalogCopyPart[] {
    this.#open();
    return [...this.#versions].map(([node, version]) => {
      const held = this.#of(node);
      return { node, version, records: held.length, bytes: held.reduce((sum, h) => sum + h.bytes, 0) };
    });
  }

  replace(node: string, version: number, records: readonly FileRecord[], limits: PartLimits): number {
    this.#open();
    for (const held of this.#of(node)) this.#records.delete(key(held.record));
    // Newest first in, newest first out: the records that fit, chosen in order, are added oldest first.
    const fitting: FileRecord[] = [];
    const seen = new Set<string>();
    let bytes = 0;
    for (const record of records) {
      const other = this.#records.get(key(record));
      if (seen.has(key(record)) || (other && other.node !== node)) continue;
      const size = catalogRecordBytes(record);
      if (fitting.length >= limits.maxRecords || bytes + size > limits.maxBytes) continue;
      seen.add(key(record));
      fitting.push(record);
      bytes += size;
    }
    return this.apply(node, version, fitting.reverse(), [], limits);
  }

  apply(
    node: string,
    version: number,
    changed: readonly FileRecord[],
    removed: readonly RemovedRecord[],
    limits: PartLimits,
  ): number {
    this.#open();
    for (const gone of removed) {
      if (this.#records.get(key(gone))?.node === node) this.#records.delete(key(gone));
    }
    for (const record of changed) {
      const previous = this.#records.get(key(record));
      if (previous && previous.node !== node) continue;
      const held = this.#of(node);
      const bytes = catalogRecordBytes(record);
      const count = held.length - (previous ? 1 : 0);
      const total = held.reduce((sum, h) => sum + h.bytes, 0) - (previous?.bytes ?? 0);
      if (count >= limits.maxRecords || total + bytes > limits.maxBytes) continue;
      this.#records.delete(key(record));
      this.#records.set(key(record), { node, record, seq: ++this.#seq, bytes });
    }
    this.#versions.set(node, version);
    return this.#of(node).length;
  }

  drop(node: string, keep: readonly string[] = []): void {
    this.#open();
    this.#held.delete(node);
    const kept = new Set(keep);
    for (const held of this.#of(node))
      if (!kept.has(held.record.id) && this.holders(held.record.id).length === 0)
        this.#records.delete(key(held.record));
    this.#versions.delete(node);
  }

  retained(): string[] {
    this.#open();
    return [...new Set([...this.#records.values()].map((h) => h.node))]
      .filter((node) => !this.#versions.has(node))
      .sort();
  }

  pruneRetained(keep: readonly string[]): void {
    this.#open();
    const kept = new Set(keep);
    for (const [k, held] of this.#records)
      if (
        !this.#versions.has(held.node) &&
        !kept.has(held.record.id) &&
        this.holders(held.record.id).length === 0
      )
        this.#records.delete(k);
  }

  setHeld(node: string, ids: readonly string[]): void {
    this.#open();
    this.#held.set(node, new Set(ids));
  }

  holders(id: string): string[] {
    this.#open();
    return [...this.#held]
      .filter(([, ids]) => ids.has(id))
      .map(([node]) => node)
      .sort();
  }

  search(nodes: readonly string[], query: FileQuery): FileRecord[] {
    this.#open();
    const wanted = new Set(nodes);
    return [...this.#records.values()]
      .filter((h) => wanted.has(h.node))
      .filter((h) => query.owner === undefined || h.record.owner === query.owner)
      .filter((h) => query.words === undefined || matchesWords(h.record, query.words))
      .sort((x, y) => y.seq - x.seq)
      .slice(0, query.limit)
      .map((h) => h.record);
  }

  byId(id: string): FileRecord[] {
    this.#open();
    return [...this.#records.values()]
      .filter((h) => h.record.id === id)
      .sort((x, y) => x.seq - y.seq)
      .map((h) => h.record);
  }

  close(): void {
    this.#closed = true;
  }

  #of(node: string): Held[] {
    return [...this.#records.values()].filter((h) => h.node === node);
  }

  #open(): void {
    if (this.#closed) throw new StoreClosed('The catalog copies are closed.');
  }
}

function key(record: { readonly id: string; readonly owner: string }): string {
  return `${record.owner} ${record.id}`;
}
