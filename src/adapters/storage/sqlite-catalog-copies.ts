import type Database from 'better-sqlite3';
import { StoreClosed } from '../../application/errors.js';
import type {
  CatalogCopies,
  CatalogCopyPart,
  PartLimits,
} from '../../application/ports/files/catalog-copies.js';
import type { FileQuery } from '../../application/ports/files/file-catalog.js';
import { catalogRecordBytes, type RemovedRecord } from '../../domain/catalog.js';
import type { FileRecord } from '../../domain/file-record.js';
import { type FileRecordRow, fileRecordFromRow, packChunks } from './file-record-rows.js';
import { ftsQuery } from './sqlite-file-catalog.js';

/**
 * One row per held part (`catalog_parts`: its version, record count and bytes), one per copied record
 * (`catalog_copies`, unique on owner and id; the chunk hashes as one blob of 32-byte digests), and
 * `catalog_search`, an FTS5 index over names and descriptions kept by triggers, tokenized as the node's own
 * `file_search` so both searches match the same words. Every search word is a prefix query; the index keeps
 * 2- and 3-letter prefixes too, so a short prefix is not a merge of every term it starts.
 */
const CREATE = `
  CREATE TABLE IF NOT EXISTS catalog_parts (
    node TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    records INTEGER NOT NULL,
    bytes INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS catalog_copies (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    node TEXT NOT NULL,
    id TEXT NOT NULL,
    owner TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    type TEXT NOT NULL,
    published_at TEXT NOT NULL,
    size INTEGER NOT NULL,
    chunk_size INTEGER NOT NULL,
    chunks BLOB NOT NULL,
    bytes INTEGER NOT NULL,
    UNIQUE (owner, id)
  );
  CREATE INDEX IF NOT EXISTS catalog_copies_node ON catalog_copies (node, seq);
  CREATE INDEX IF NOT EXISTS catalog_copies_id ON catalog_copies (id, seq);
  CREATE TABLE IF NOT EXISTS catalog_held (
    node TEXT NOT NULL,
    id TEXT NOT NULL,
    PRIMARY KEY (node, id)
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS catalog_held_id ON catalog_held (id);
  CREATE VIRTUAL TABLE IF NOT EXISTS catalog_search USING fts5 (
    name, description, content = 'catalog_copies', content_rowid = 'seq',
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
  );
  CREATE TRIGGER IF NOT EXISTS catalog_copies_ai AFTER INSERT ON catalog_copies BEGIN
    INSERT INTO catalog_search (rowid, name, description) VALUES (new.seq, new.name, new.description);
  END;
  CREATE TRIGGER IF NOT EXISTS catalog_copies_ad AFTER DELETE ON catalog_copies BEGIN
    INSERT INTO catalog_search (catalog_search, rowid, name, description)
      VALUES ('delete', old.seq, old.name, old.description);
  END;
`;

const COLUMNS =
  'r.id, r.owner, r.name, r.description, r.type, r.published_at, r.size, r.chunk_size, r.chunks';
/**
 * A search ranks (bm25) only the newest matches, this many or the limit: the cost of a word found in half the
 * catalog stays bounded (p95 in docs/benchmarks.md), and a narrower search is ranked whole.
 */
export const RANK_WINDOW = 500;

/** The nodes a search may return, as a JSON array bound to one parameter. */
const IN_NODES = 'r.node IN (SELECT value FROM json_each(?))';

/** `CatalogCopies` in the node's database (tables `catalog_parts`, `catalog_copies`, `catalog_search`). */
export class SqliteCatalogCopies implements CatalogCopies {
  #closed = false;
  readonly #s;
  /** Nodes with retained records (no part), read once at open and kept up to date. */
  readonly #retained: Set<string>;

  constructor(
    private readonly db: Database.Database,
    private readonly options: { ownsDb?: boolean } = {},
  ) {
    db.exec(CREATE);
    this.#s = {
      parts: db.prepare<[], CatalogCopyPart>('SELECT node, version, records, bytes FROM catalog_parts'),
      part: db.prepare<[string], { records: number; bytes: number }>(
        'SELECT count(*) AS records, coalesce(sum(bytes), 0) AS bytes FROM catalog_copies WHERE node = ?',
      ),
      held: db.prepare<[string, string], { node: string; bytes: number }>(
        'SELECT node, bytes FROM catalog_copies WHERE owner = ? AND id = ?',
      ),
      insert: db.prepare(
        `INSERT INTO catalog_copies (node, id, owner, name, description, type, published_at, size, chunk_size,
           chunks, bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      deleteRecord: db.prepare('DELETE FROM catalog_copies WHERE owner = ? AND id = ? AND node = ?'),
      deleteNode: db.prepare('DELETE FROM catalog_copies WHERE node = ?'),
      setPart: db.prepare(
        `INSERT INTO catalog_parts (node, version, records, bytes) VALUES (?, ?, ?, ?)
         ON CONFLICT (node) DO UPDATE SET version = excluded.version, records = excluded.records,
           bytes = excluded.bytes`,
      ),
      dropPart: db.prepare('DELETE FROM catalog_parts WHERE node = ?'),
      dropHeld: db.prepare('DELETE FROM catalog_held WHERE node = ?'),
      // A part dropped keeps the records of contents still held: by this node (`keep`) or by another node.
      dropUnheld: db.prepare(
        `DELETE FROM catalog_copies WHERE node = ? AND id NOT IN (SELECT value FROM json_each(?))
           AND id NOT IN (SELECT id FROM catalog_held)`,
      ),
      countOf: db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM catalog_copies WHERE node = ?'),
      retained: db.prepare<[], { node: string }>(
        `SELECT DISTINCT node FROM catalog_copies WHERE node NOT IN (SELECT node FROM catalog_parts)`,
      ),
      pruneRetained: db.prepare(
        `DELETE FROM catalog_copies WHERE node IN (SELECT value FROM json_each(?))
           AND id NOT IN (SELECT value FROM json_each(?)) AND id NOT IN (SELECT id FROM catalog_held)`,
      ),
      addHeld: db.prepare('INSERT OR IGNORE INTO catalog_held (node, id) VALUES (?, ?)'),
      holders: db.prepare<[string], { node: string }>(
        'SELECT node FROM catalog_held WHERE id = ? ORDER BY node',
      ),
      byId: db.prepare<[string], FileRecordRow>(
        `SELECT ${COLUMNS} FROM catalog_copies r WHERE r.id = ? ORDER BY r.seq`,
      ),
      newest: db.prepare<[string, number], FileRecordRow>(
        `SELECT ${COLUMNS} FROM catalog_copies r WHERE ${IN_NODES} ORDER BY r.seq DESC LIMIT ?`,
      ),
      newestOf: db.prepare<[string, string, number], FileRecordRow>(
        `SELECT ${COLUMNS} FROM catalog_copies r WHERE ${IN_NODES} AND r.owner = ? ORDER BY r.seq DESC LIMIT ?`,
      ),
      // The newest matches (FTS5 walks its rowids backwards and stops), then the best of them first; names
      // weigh ten times descriptions, as in the node's own search.
      search: db.prepare<[string, string, number, number], FileRecordRow>(
        `SELECT ${COLUMNS} FROM (
           SELECT r.*, bm25(catalog_search, 10.0, 1.0) AS score
           FROM catalog_search s JOIN catalog_copies r ON r.seq = s.rowid
           WHERE catalog_search MATCH ? AND ${IN_NODES} ORDER BY s.rowid DESC LIMIT ?
         ) r ORDER BY r.score, r.seq DESC LIMIT ?`,
      ),
      searchOf: db.prepare<[string, string, string, number, number], FileRecordRow>(
        `SELECT ${COLUMNS} FROM (
           SELECT r.*, bm25(catalog_search, 10.0, 1.0) AS score
           FROM catalog_search s JOIN catalog_copies r ON r.seq = s.rowid
           WHERE catalog_search MATCH ? AND ${IN_NODES} AND r.owner = ? ORDER BY s.rowid DESC LIMIT ?
         ) r ORDER BY r.score, r.seq DESC LIMIT ?`,
      ),
    };
    this.#retained = new Set(this.#s.retained.all().map((row) => row.node));
  }

  #open() {
    if (this.#closed) throw new StoreClosed('This node is stopping; try again later or on another node.');
    return this.#s;
  }

  parts(): CatalogCopyPart[] {
    return this.#open().parts.all();
  }

  replace(node: string, version: number, records: readonly FileRecord[], limits: PartLimits): number {
    const s = this.#open();
    const count = this.db.transaction(() => {
      s.deleteNode.run(node);
      // `records` come newest first (as `GET /files/catalog` lists them), and a listing goes by insertion,
      // newest last in: the records that fit are chosen in the given order, then added oldest first.
      return this.#change(node, version, this.#fitting(node, records, limits).reverse(), [], limits);
    })();
    this.#retained.delete(node);
    return count;
  }

  apply(
    node: string,
    version: number,
    changed: readonly FileRecord[],
    removed: readonly RemovedRecord[],
    limits: PartLimits,
  ): number {
    this.#open();
    const count = this.db.transaction(() => this.#change(node, version, changed, removed, limits))();
    this.#retained.delete(node);
    return count;
  }

  /** Of `records` for an emptied part of `node`, those `#change` would keep, in order. */
  #fitting(node: string, records: readonly FileRecord[], limits: PartLimits): FileRecord[] {
    const kept = new Map<string, FileRecord>();
    let bytes = 0;
    for (const record of records) {
      const key = `${record.owner} ${record.id}`;
      if (kept.has(key)) continue;
      const other = this.#s.held.get(record.owner, record.id);
      if (other && other.node !== node) continue;
      const size = catalogRecordBytes(record);
      if (kept.size >= limits.maxRecords || bytes + size > limits.maxBytes) continue;
      kept.set(key, record);
      bytes += size;
    }
    return [...kept.values()];
  }

  #change(
    node: string,
    version: number,
    changed: readonly FileRecord[],
    removed: readonly RemovedRecord[],
    limits: PartLimits,
  ): number {
    const s = this.#s;
    for (const gone of removed) s.deleteRecord.run(gone.owner, gone.id, node);
    let { records, bytes } = s.part.get(node) ?? { records: 0, bytes: 0 };
    for (const record of changed) {
      const previous = s.held.get(record.owner, record.id);
      // An owner belongs to one node, but a store never lets one node's part overwrite another's.
      if (previous && previous.node !== node) continue;
      const size = catalogRecordBytes(record);
      const count = records - (previous ? 1 : 0);
      const total = bytes - (previous?.bytes ?? 0);
      if (count >= limits.maxRecords || total + size > limits.maxBytes) continue;
      if (previous) s.deleteRecord.run(record.owner, record.id, node);
      s.insert.run(
        node,
        record.id,
        record.owner,
        record.name,
        record.description,
        record.type,
        record.publishedAt,
        record.size,
        record.chunkSize,
        packChunks(record.chunks),
        size,
      );
      records = count + 1;
      bytes = total + size;
    }
    const part = s.part.get(node) ?? { records: 0, bytes: 0 };
    s.setPart.run(node, version, part.records, part.bytes);
    return part.records;
  }

  drop(node: string, keep: readonly string[] = []): void {
    const s = this.#open();
    const left = this.db.transaction(() => {
      s.dropHeld.run(node);
      s.dropUnheld.run(node, JSON.stringify(keep));
      s.dropPart.run(node);
      return s.countOf.get(node)?.n ?? 0;
    })();
    if (left > 0) this.#retained.add(node);
    else this.#retained.delete(node);
  }

  retained(): string[] {
    this.#open();
    return [...this.#retained].sort();
  }

  pruneRetained(keep: readonly string[]): void {
    const s = this.#open();
    if (this.#retained.size === 0) return;
    const nodes = [...this.#retained];
    this.db.transaction(() => {
      s.pruneRetained.run(JSON.stringify(nodes), JSON.stringify(keep));
      for (const node of nodes) if ((s.countOf.get(node)?.n ?? 0) === 0) this.#retained.delete(node);
    })();
  }

  setHeld(node: string, ids: readonly string[]): void {
    const s = this.#open();
    this.db.transaction(() => {
      s.dropHeld.run(node);
      for (const id of ids) s.addHeld.run(node, id);
    })();
  }

  holders(id: string): string[] {
    return this.#open()
      .holders.all(id)
      .map((row) => row.node);
  }

  search(nodes: readonly string[], query: FileQuery): FileRecord[] {
    const s = this.#open();
    const { owner, words, limit } = query;
    const among = JSON.stringify(nodes);
    if (words && words.length > 0) {
      const match = ftsQuery(words);
      const window = Math.max(RANK_WINDOW, limit);
      const rows =
        owner === undefined
          ? s.search.all(match, among, window, limit)
          : s.searchOf.all(match, among, owner, window, limit);
      return rows.map(fileRecordFromRow);
    }
    const rows = owner === undefined ? s.newest.all(among, limit) : s.newestOf.all(among, owner, limit);
    return rows.map(fileRecordFromRow);
  }

  byId(id: string): FileRecord[] {
    return this.#open().byId.all(id).map(fileRecordFromRow);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.options.ownsDb) this.db.close();
  }
}
