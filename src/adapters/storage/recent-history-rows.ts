import type { HistoryEntry } from '../../domain/delivery.js';

/** Committed history rows kept parsed for status changes: about the messages still in flight. */
const RECENT_ROWS = 1_024;

/** A history row a committed transaction wrote: added (with its `pos`), or given a new status (`pos` unknown). */
export interface WrittenRow {
  readonly entry: HistoryEntry;
  readonly pos: number | undefined;
}

/**
 * The newest committed history rows by id, as on disk (entry and `pos`), so that a status change or lookup of a
 * message just stored reads neither SQLite nor JSON: at most `RECENT_ROWS`, none that a trim removed.
 * Insertion order is `pos` order (a status change keeps an entry's place), so the oldest come first.
 * Only rows whose status may still change are kept (the messages this node's users sent, while their copies are
 * out): a message received for the users never changes, and one `delivered` is final (every copy was delivered,
 * `Fates`), so keeping either would only hold it past the young generation's scavenges for nothing. A status
 * change for a row that is not kept still works: the store reads it from SQLite.
 */
export class RecentHistoryRows {
  #rows = new Map<string, { readonly entry: HistoryEntry; readonly pos: number }>();
  /** Whether `#rows` held anything after the last `remember`: once it empties, it is replaced by a new Map. */
  #held = false;

  get(id: string): { readonly entry: HistoryEntry; readonly pos: number } | undefined {
    return this.#rows.get(id);
  }

  /** Takes a committed batch's rows; `firstKept` is the lowest `pos` left after a trim (undefined: none). */
  remember(written: readonly WrittenRow[], trimmed: boolean, firstKept: () => number | undefined): void {
    const rows = this.#rows;
    for (const { entry, pos } of written) {
      if (pos !== undefined) {
        rows.delete(entry.id);
        if (mayChange(entry)) rows.set(entry.id, { entry, pos });
        continue;
      }
      const known = rows.get(entry.id);
      if (!known) continue;
      if (mayChange(entry)) rows.set(entry.id, { entry, pos: known.pos });
      else rows.delete(entry.id);
    }
    if (trimmed) {
      const first = firstKept();
      for (const [id, row] of rows) {
        if (first !== undefined && row.pos >= first) break;
        rows.delete(id);
      }
    }
    for (const id of rows.keys()) {
      if (rows.size <= RECENT_ROWS) break;
      rows.delete(id);
    }
    // Emptied: a new Map, so that its tables stay in V8's young generation (see `Courier`'s parcels).
    if (rows.size === 0 && this.#held) this.#rows = new Map();
    this.#held = rows.size > 0;
  }

  clear(): void {
    this.#rows.clear();
  }
}

/** Whether a row's status may still change: a sent message not yet `delivered` to every destination. */
function mayChange(entry: HistoryEntry): boolean {
  return entry.status !== undefined && entry.status !== 'delivered';
}
