import type Database from 'better-sqlite3';
import { StoreClosed } from '../../application/errors.js';
import type { Enqueued, MessageStore, NewOutboxEntry } from '../../application/ports/message-store.js';
import type { DeliveryStatus, HistoryEntry, OutboxEntry } from '../../domain/delivery.js';
import type { ChatMessage } from '../../domain/message.js';
import {
  type Counts,
  type HistoryRow,
  type OutboxRow,
  prepare,
  toEntry,
  toOutboxEntry,
} from './message-store-rows.js';
import {
  DEFAULT_MESSAGE_STORE_SETTINGS,
  type MessageStoreSettings,
  SEEN_PRUNE_INTERVAL_MS,
} from './message-store-settings.js';
import { RecentHistoryRows } from './recent-history-rows.js';
import { RecentIdFilter } from './recent-id-filter.js';

/** One write call waiting for its batch: the SQL it runs (none for a no-op), how its promise settles, with what. */
interface Queued {
  readonly apply: ((counts: Counts) => void) | undefined;
  readonly value: unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * A history entry changed by the batch not yet committed: either added by it (`index` among its additions) or
 * a committed row (`pos`, and the `seq` it has on disk) whose status it changed.
 */
interface Change {
  readonly entry: HistoryEntry;
  readonly index?: number;
  readonly pos?: number;
  readonly committedSeq?: number;
}

/**
 * `MessageStore` in SQLite, in tables of its own next to the membership store's (`seen_ids`, `history`,
 * `outbox`).
 *
 * Batching: each write call updates the in-memory view at once and queues its SQL; every call made in one turn
 * of the event loop is committed in one transaction on `setImmediate` (or by `close`), then their promises
 * resolve in call order. Reads are SQLite (by indexed, prepared statements) plus an overlay of what the queued
 * batch changes, so they see every write already called. The outbox is mirrored in memory whole (loaded at
 * open); ids and history are read from SQLite.
 *
 * Failure: when the transaction throws, nothing of the batch is on disk (it is rolled back), every promise of
 * the batch rejects with that error (no-op calls too, such as a duplicate `accept`, whose answer may rest on a
 * write that failed), and the overlay is dropped, so reads show what is on disk again. The history cursor and
 * the outbox key keep growing past the values the failed batch handed out, so none is handed out twice within
 * one open store. Later batches are tried as usual.
 *
 * History holds one entry per id: adding an id already in history (an outgoing message also accepted locally)
 * keeps the existing entry as it is. The history cap is applied after every addition, so a status change for an
 * entry that an addition has just pushed out resolves `undefined`; the entry with the highest cursor is thus
 * always kept, and the cursor restarts from `max(seq)` without going back.
 */
export class SqliteMessageStore implements MessageStore {
  readonly #db: Database.Database;
  readonly #ownsDb: boolean;
  readonly #historySize: number;
  readonly #dedupWindowMs: number;
  readonly #maxSeenIds: number;
  readonly #sql: ReturnType<typeof prepare>;
  readonly #commit: (batch: readonly Queued[], counts: Counts) => void;

  #seq: number;
  #key: number;
  #lastPrune = Number.NEGATIVE_INFINITY;
  #closed = false;
  #timer: NodeJS.Immediate | undefined;
  #batch: Queued[] = [];

  /** Committed row counts. */
  #historyRows: number;
  #seenRows: number;
  /** The committed outbox, by key (insertion order is key order); a fresh Map once emptied (`#dropOverlay`). */
  #outbox = new Map<number, OutboxEntry>();
  /** The newest committed history rows, parsed (`RecentHistoryRows`). */
  readonly #recent = new RecentHistoryRows();
  /**
   * The ids that committed `seen_ids` and `history` rows may have (`RecentIdFilter`): a new id, the usual case,
   * is known absent without a query.
   */
  readonly #seenIds: RecentIdFilter;
  readonly #historyIds: RecentIdFilter;

  // The overlay: what the queued batch changes (replaced, not cleared, after a batch: `#dropOverlay`).
  #acceptedIds = new Set<string>();
  #changes = new Map<string, Change>();
  /** Ids added to history by the batch, in order (an id may appear twice when its first addition was dropped). */
  #added: string[] = [];
  #outboxAdded = new Map<number, OutboxEntry>();
  #outboxSettled = new Set<number>();
  /** `pos` at or below which committed history rows are pushed out by the batch's additions, for `drop` rows. */
  #threshold: { readonly drop: number; readonly pos: number } | undefined;

  /**
   * Creates the tables when needed and loads the outbox. `ownsDb` (default true): `close` also closes `db`;
   * pass false when another adapter shares the connection and closes it.
   */
  constructor(
    db: Database.Database,
    settings: MessageStoreSettings = DEFAULT_MESSAGE_STORE_SETTINGS,
    options: { ownsDb?: boolean } = {},
  ) {
    this.#db = db;
    this.#ownsDb = options.ownsDb ?? true;
    this.#historySize = Math.max(0, settings.historySize);
    this.#dedupWindowMs = settings.dedupWindowMs;
    this.#maxSeenIds = Math.max(0, settings.maxSeenIds ?? DEFAULT_MESSAGE_STORE_SETTINGS.maxSeenIds);
    db.exec(`
      CREATE TABLE IF NOT EXISTS seen_ids (id TEXT PRIMARY KEY, at INTEGER);
      CREATE INDEX IF NOT EXISTS seen_ids_at ON seen_ids (at);
      CREATE TABLE IF NOT EXISTS history (
        pos INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT UNIQUE,
        seq INTEGER,
        status TEXT,
        message TEXT
      );
      CREATE INDEX IF NOT EXISTS history_seq ON history (seq);
      CREATE TABLE IF NOT EXISTS outbox (
        key INTEGER PRIMARY KEY AUTOINCREMENT,
        node TEXT,
        url TEXT,
        message TEXT,
        expires_at INTEGER,
        notify INTEGER
      );
    `);
    const sql = prepare(db);
    this.#sql = sql;
    this.#commit = db.transaction((batch: readonly Queued[], counts: Counts) => {
      for (const queued of batch) queued.apply?.(counts);
      // Caps are applied once per batch: the oldest rows go, as if trimmed after each insert.
      if (counts.history > this.#historySize) {
        counts.history -= sql.trimHistory.run(counts.history - this.#historySize).changes;
        counts.trimmed = true;
      }
      if (counts.seen > this.#maxSeenIds) {
        counts.seen -= sql.capSeen.run(counts.seen - this.#maxSeenIds).changes;
      }
    });

    // Settings may have shrunk since the last run: apply them now, so the overlay arithmetic starts from a
    // table within its caps.
    const counts = db.transaction(() => {
      let history = sql.countHistory.get() as number;
      if (history > this.#historySize) history -= sql.trimHistory.run(history - this.#historySize).changes;
      let seen = sql.countSeen.get() as number;
      if (seen > this.#maxSeenIds) seen -= sql.capSeen.run(seen - this.#maxSeenIds).changes;
      return { history, seen };
    })();
    this.#historyRows = counts.history;
    this.#seenRows = counts.seen;
    this.#seenIds = new RecentIdFilter(this.#maxSeenIds);
    for (const id of sql.allSeenIds.iterate() as IterableIterator<string>) this.#seenIds.add(id);
    this.#historyIds = new RecentIdFilter(this.#historySize);
    for (const id of sql.allHistoryIds.iterate() as IterableIterator<string>) this.#historyIds.add(id);
    this.#seq = (sql.maxSeq.get() as number | null) ?? 0;
    const rows = sql.allOutbox.all() as OutboxRow[];
    for (const row of rows) this.#outbox.set(row.key, toOutboxEntry(row));
    // AUTOINCREMENT remembers the largest key ever used, so keys keep growing after the outbox empties.
    this.#key = Math.max((sql.lastKey.get() as number | undefined) ?? 0, rows.at(-1)?.key ?? 0);
  }

  seen(id: string): boolean {
    if (this.#closed) return false;
    if (this.#acceptedIds.has(id)) return true;
    return this.#seenIds.mightHave(id) && this.#sql.seen.get(id) !== undefined;
  }

  accept(message: ChatMessage, now: number): Promise<HistoryEntry | undefined> {
    if (this.#closed) return Promise.reject(new StoreClosed());
    try {
      if (this.seen(message.id)) return this.#queue(undefined, undefined);
      const sql = this.#sql;
      const prune = now - this.#lastPrune >= SEEN_PRUNE_INTERVAL_MS;
      if (prune) this.#lastPrune = now;
      const cutoff = now - this.#dedupWindowMs;
      const existing = this.#lookup(message.id);
      this.#acceptedIds.add(message.id);
      const entry = existing ?? this.#add({ ...message, seq: ++this.#seq });
      const json = existing ? undefined : JSON.stringify(message);
      return this.#queue(entry.entry, (counts) => {
        if (prune) counts.seen -= sql.pruneSeen.run(cutoff).changes;
        if (sql.insertSeen.run(message.id, now).changes > 0) {
          counts.seen++;
          counts.seenAdded.push(message.id);
        }
        if (json !== undefined) this.#insertHistory(counts, entry.entry, json);
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  enqueue(
    entries: readonly NewOutboxEntry[],
    options: { readonly outgoing?: ChatMessage } = {},
  ): Promise<Enqueued> {
    if (this.#closed) return Promise.reject(new StoreClosed());
    try {
      const sql = this.#sql;
      const queued = entries.map((entry): OutboxEntry => ({ ...entry, key: ++this.#key }));
      for (const entry of queued) this.#outboxAdded.set(entry.key, entry);
      const { outgoing } = options;
      const added =
        outgoing && !this.#lookup(outgoing.id)
          ? this.#add({ ...outgoing, seq: ++this.#seq, status: 'queued' })
          : undefined;
      const result: Enqueued = added ? { entries: queued, outgoing: added.entry } : { entries: queued };
      // The copies of one message (a broadcast's) share its JSON: it is written once per copy, built once.
      let last: { readonly message: ChatMessage; readonly json: string } | undefined;
      const jsonOf = (message: ChatMessage) => {
        if (last?.message !== message) last = { message, json: JSON.stringify(message) };
        return last.json;
      };
      return this.#queue(result, (counts) => {
        for (const e of queued) {
          sql.insertOutbox.run(e.key, e.node, e.url, jsonOf(e.message), e.expiresAt, e.notify ? 1 : 0);
        }
        if (outgoing && added) this.#insertHistory(counts, added.entry, jsonOf(outgoing));
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  settle(keys: readonly number[]): Promise<void> {
    if (this.#closed) return Promise.resolve();
    const known: number[] = [];
    for (const key of keys) {
      if (this.#outboxAdded.delete(key)) known.push(key);
      else if (this.#outbox.has(key) && !this.#outboxSettled.has(key)) {
        this.#outboxSettled.add(key);
        known.push(key);
      }
    }
    const sql = this.#sql;
    return this.#queue(
      undefined,
      known.length === 0
        ? undefined
        : known.length === 1
          ? () => sql.deleteOutbox.run(known[0])
          : () => sql.deleteOutboxMany.run(JSON.stringify(known)),
    );
  }

  setStatus(id: string, status: DeliveryStatus): Promise<HistoryEntry | undefined> {
    if (this.#closed) return Promise.resolve(undefined);
    try {
      const current = this.#lookup(id);
      if (!current) return this.#queue(undefined, undefined);
      const entry: HistoryEntry = { ...current.entry, status, seq: ++this.#seq };
      this.#changes.set(id, { ...current, entry });
      const sql = this.#sql;
      // A committed row is found by its `pos` (the table's own key), one added by this batch by its id.
      const { pos } = current;
      return this.#queue(entry, (counts) => {
        const { changes } =
          pos === undefined
            ? sql.setStatus.run(status, entry.seq, id)
            : sql.setStatusAt.run(status, entry.seq, pos);
        if (changes > 0) counts.written.push({ entry, pos: undefined });
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  pending(): OutboxEntry[] {
    if (this.#closed) return [];
    const entries: OutboxEntry[] = [];
    for (const [key, entry] of this.#outbox) if (!this.#outboxSettled.has(key)) entries.push(entry);
    for (const entry of this.#outboxAdded.values()) entries.push(entry);
    return entries;
  }

  history(since?: number): HistoryEntry[] {
    if (this.#closed) return [];
    const after = since === undefined || since > this.#seq ? Number.NEGATIVE_INFINITY : since;
    const threshold = this.#droppedUpTo();
    const rows = (
      after === Number.NEGATIVE_INFINITY ? this.#sql.allHistory.all() : this.#sql.historySince.all(after)
    ) as HistoryRow[];
    const kept: { pos: number; entry: HistoryEntry }[] = [];
    for (const row of rows) {
      if (row.pos <= threshold) continue;
      const change = this.#changes.get(row.id);
      if (change?.pos === undefined) kept.push({ pos: row.pos, entry: toEntry(row) });
      else if (change.entry.seq > after) kept.push({ pos: row.pos, entry: change.entry });
    }
    // Committed rows the batch changed whose seq on disk is at or below `after` (so the query missed them).
    let missed = false;
    for (const change of this.#changes.values()) {
      const { pos, committedSeq } = change;
      if (pos === undefined || committedSeq === undefined || pos <= threshold) continue;
      if (committedSeq > after || change.entry.seq <= after) continue;
      kept.push({ pos, entry: change.entry });
      missed = true;
    }
    if (missed) kept.sort((a, b) => a.pos - b.pos);
    const entries = kept.map((k) => k.entry);
    for (let i = Math.max(0, this.#added.length - this.#historySize); i < this.#added.length; i++) {
      const change = this.#changes.get(this.#added[i] as string);
      if (change?.index === i && change.entry.seq > after) entries.push(change.entry);
    }
    return entries;
  }

  historyBefore(before: string | undefined, limit: number): HistoryEntry[] {
    if (this.#closed || !(limit > 0)) return [];
    // What is queued is committed now (it is due within this turn anyway), so the page is read from disk alone.
    if (this.#batch.length > 0) {
      if (this.#timer) clearImmediate(this.#timer);
      this.#timer = undefined;
      this.#flush();
    }
    let rows: HistoryRow[];
    if (before === undefined) rows = this.#sql.lastHistory.all(limit) as HistoryRow[];
    else {
      const pos = this.#sql.posOf.get(before) as number | undefined;
      if (pos === undefined) return [];
      rows = this.#sql.historyBefore.all(pos, limit) as HistoryRow[];
    }
    return rows.reverse().map(toEntry);
  }

  /** Commits what is queued, then releases the store; rejects with the commit's error if that fails. */
  async close(): Promise<void> {
    if (this.#closed) return;
    if (this.#timer) clearImmediate(this.#timer);
    this.#timer = undefined;
    const error = this.#flush();
    this.#closed = true;
    this.#recent.clear();
    if (this.#ownsDb) this.#db.close();
    if (error !== undefined) throw error;
  }

  #queue<T>(value: T, apply: Queued['apply']): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#batch.push({ apply, value, resolve: resolve as (value: unknown) => void, reject });
      this.#timer ??= setImmediate(() => {
        this.#timer = undefined;
        this.#flush();
      });
    });
  }

  /** Commits the queued batch in one transaction and settles its promises; returns the error if it failed. */
  #flush(): unknown {
    const batch = this.#batch;
    if (batch.length === 0) return undefined;
    this.#batch = [];
    const counts: Counts = {
      history: this.#historyRows,
      seen: this.#seenRows,
      written: [],
      trimmed: false,
      seenAdded: [],
    };
    try {
      // A batch of no-ops (duplicates, unknown ids) touches no storage, so it cannot fail.
      if (batch.some((queued) => queued.apply !== undefined)) this.#commit(batch, counts);
    } catch (error) {
      this.#dropOverlay();
      for (const queued of batch) queued.reject(error);
      return error;
    }
    this.#historyRows = counts.history;
    this.#seenRows = counts.seen;
    for (const id of counts.seenAdded) this.#seenIds.add(id);
    for (const row of counts.written) if (row.pos !== undefined) this.#historyIds.add(row.entry.id);
    this.#recent.remember(
      counts.written,
      counts.trimmed,
      () => this.#sql.nthPos.get(0) as number | undefined,
    );
    for (const key of this.#outboxSettled) this.#outbox.delete(key);
    if (this.#outboxSettled.size > 0 && this.#outbox.size === 0) this.#outbox = new Map();
    for (const [key, entry] of this.#outboxAdded) this.#outbox.set(key, entry);
    this.#dropOverlay();
    for (const queued of batch) queued.resolve(queued.value);
    return undefined;
  }

  /**
   * Replaces what the batch used by new collections (the emptied outbox Map too): `clear()` on a long-lived
   * collection leaves its old table in V8's old space pointing at the batch's entries, which scavenges then keep
   * and promote until a mark-compact (docs/benchmarks.md, "What lives past a scavenge"); a new one starts young.
   */
  #dropOverlay(): void {
    if (this.#acceptedIds.size > 0) this.#acceptedIds = new Set();
    if (this.#changes.size > 0) this.#changes = new Map();
    if (this.#added.length > 0) this.#added = [];
    if (this.#outboxAdded.size > 0) this.#outboxAdded = new Map();
    if (this.#outboxSettled.size > 0) this.#outboxSettled = new Set();
    this.#threshold = undefined;
  }

  #insertHistory(counts: Counts, entry: HistoryEntry, json: string): void {
    const { changes, lastInsertRowid } = this.#sql.insertHistory.run(
      entry.id,
      entry.seq,
      entry.status ?? null,
      json,
    );
    counts.history += changes;
    if (changes > 0) counts.written.push({ entry, pos: Number(lastInsertRowid) });
  }

  /** Adds an entry to the overlay as the batch's newest addition. */
  #add(entry: HistoryEntry): Change {
    const change: Change = { entry, index: this.#added.length };
    this.#added.push(entry.id);
    this.#changes.set(entry.id, change);
    return change;
  }

  /** The entry for `id` as reads see it, unless it is not (or no longer) in history. */
  #lookup(id: string): Change | undefined {
    const change = this.#changes.get(id);
    if (change) {
      if (change.index !== undefined)
        return change.index < this.#added.length - this.#historySize ? undefined : change;
      return (change.pos as number) <= this.#droppedUpTo() ? undefined : change;
    }
    const recent = this.#recent.get(id);
    if (recent) {
      if (recent.pos <= this.#droppedUpTo()) return undefined;
      return { entry: recent.entry, pos: recent.pos, committedSeq: recent.entry.seq };
    }
    if (!this.#historyIds.mightHave(id)) return undefined;
    const row = this.#sql.historyById.get(id) as HistoryRow | undefined;
    if (!row || row.pos <= this.#droppedUpTo()) return undefined;
    return { entry: toEntry(row), pos: row.pos, committedSeq: row.seq };
  }

  /** The `pos` at or below which committed rows are pushed out by the batch's additions (0: none). */
  #droppedUpTo(): number {
    const drop = Math.min(this.#historyRows, this.#historyRows + this.#added.length - this.#historySize);
    if (drop <= 0) return 0;
    if (this.#threshold?.drop !== drop) {
      this.#threshold = { drop, pos: this.#sql.nthPos.get(drop - 1) as number };
    }
    return this.#threshold.pos;
  }
}
