import type Database from 'better-sqlite3';
import { StoreClosed } from '../../application/errors.js';
import type {
  AddFileOutcome,
  DownloadEntry,
  FileCatalog,
  FileQuery,
} from '../../application/ports/files/file-catalog.js';
import { type FileRecord, MAX_DOWNLOADS_PER_FILE } from '../../domain/file-record.js';
import { type FileRecordRow, fileRecordFromRow, packChunks } from './file-record-rows.js';

/**
 * Contents and records apart: one row per content (size and chunk hashes, 32 bytes each in one blob) however
 * many users published it, one row per record. `file_search` is an FTS5 index over the records' names and
 * descriptions, kept by triggers; `remove_diacritics` lets "cafe" find "Café". `file_downloads` keeps the
 * latest fetches of each content held here (for its owners), and goes with the content's last record.
 */
const CREATE = `
  CREATE TABLE IF NOT EXISTS file_contents (
    id TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    chunk_size INTEGER NOT NULL,
    chunks BLOB NOT NULL
  );
  CREATE TABLE IF NOT EXISTS file_records (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL REFERENCES file_contents (id),
    owner TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    type TEXT NOT NULL,
    published_at TEXT NOT NULL,
    UNIQUE (owner, name),
    UNIQUE (id, owner)
  );
  CREATE INDEX IF NOT EXISTS file_records_id ON file_records (id, seq);
  CREATE INDEX IF NOT EXISTS file_records_published ON file_records (published_at);
  CREATE VIRTUAL TABLE IF NOT EXISTS file_search USING fts5 (
    name, description, content = 'file_records', content_rowid = 'seq',
    tokenize = 'unicode61 remove_diacritics 2'
  );
  CREATE TRIGGER IF NOT EXISTS file_records_ai AFTER INSERT ON file_records BEGIN
    INSERT INTO file_search (rowid, name, description) VALUES (new.seq, new.name, new.description);
  END;
  CREATE TRIGGER IF NOT EXISTS file_records_ad AFTER DELETE ON file_records BEGIN
    INSERT INTO file_search (file_search, rowid, name, description)
      VALUES ('delete', old.seq, old.name, old.description);
  END;
  CREATE TABLE IF NOT EXISTS file_downloads (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL,
    at TEXT NOT NULL,
    user TEXT,
    node TEXT,
    bytes TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS file_downloads_id ON file_downloads (id, seq);
`;

interface DownloadRow {
  at: string;
  user: string | null;
  node: string | null;
  bytes: string;
}

function toDownload(row: DownloadRow): DownloadEntry {
  return {
    at: row.at,
    ...(row.user === null ? {} : { user: row.user }),
    ...(row.node === null ? {} : { node: row.node }),
    bytes: row.bytes,
  };
}

const COLUMNS = `r.id, r.owner, r.name, r.description, r.type, r.published_at, c.size, c.chunk_size, c.chunks`;

/**
 * The user's words as an FTS5 query that cannot be anything else: each word a quoted string (quotes doubled)
 * matched as a prefix, all of them required. `searchWords` already keeps only letters and digits; the quoting
 * holds even if a caller did not.
 */
export function ftsQuery(words: readonly string[]): string {
  return words.map((word) => `"${word.replaceAll('"', '""')}"*`).join(' ');
}

/** `FileCatalog` in the node's database (tables `file_contents`, `file_records`, `file_search`). */
export class SqliteFileCatalog implements FileCatalog {
  #closed = false;
  readonly #statements;

  constructor(
    private readonly db: Database.Database,
    private readonly options: { ownsDb?: boolean } = {},
  ) {
    db.exec(CREATE);
    const from = 'FROM file_records r JOIN file_contents c ON c.id = r.id';
    this.#statements = {
      insertContent: db.prepare(
        'INSERT OR IGNORE INTO file_contents (id, size, chunk_size, chunks) VALUES (?, ?, ?, ?)',
      ),
      insertRecord: db.prepare(
        'INSERT INTO file_records (id, owner, name, description, type, published_at) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      byId: db.prepare<[string], FileRecordRow>(`SELECT ${COLUMNS} ${from} WHERE r.id = ? ORDER BY r.seq`),
      byName: db.prepare<[string, string], FileRecordRow>(
        `SELECT ${COLUMNS} ${from} WHERE r.owner = ? AND r.name = ?`,
      ),
      byOwnerAndId: db.prepare<[string, string], FileRecordRow>(
        `SELECT ${COLUMNS} ${from} WHERE r.owner = ? AND r.id = ?`,
      ),
      deleteRecord: db.prepare('DELETE FROM file_records WHERE id = ? AND owner = ?'),
      countById: db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM file_records WHERE id = ?'),
      deleteContent: db.prepare('DELETE FROM file_contents WHERE id = ?'),
      deleteDownloads: db.prepare('DELETE FROM file_downloads WHERE id = ?'),
      insertDownload: db.prepare(
        'INSERT INTO file_downloads (id, at, user, node, bytes) SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM file_records WHERE id = ?)',
      ),
      trimDownloads: db.prepare(
        `DELETE FROM file_downloads WHERE id = ? AND seq <= (
           SELECT seq FROM file_downloads WHERE id = ? ORDER BY seq DESC LIMIT 1 OFFSET ${MAX_DOWNLOADS_PER_FILE})`,
      ),
      downloads: db.prepare<[string, number], DownloadRow>(
        'SELECT at, user, node, bytes FROM file_downloads WHERE id = ? ORDER BY seq DESC LIMIT ?',
      ),
      newest: db.prepare<[number], FileRecordRow>(`SELECT ${COLUMNS} ${from} ORDER BY r.seq DESC LIMIT ?`),
      newestOf: db.prepare<[string, number], FileRecordRow>(
        `SELECT ${COLUMNS} ${from} WHERE r.owner = ? ORDER BY r.seq DESC LIMIT ?`,
      ),
      // Names weigh ten times descriptions in the ranking.
      search: db.prepare<[string, number], FileRecordRow>(
        `SELECT ${COLUMNS} FROM file_search s JOIN file_records r ON r.seq = s.rowid JOIN file_contents c ON c.id = r.id
         WHERE file_search MATCH ? ORDER BY bm25(file_search, 10.0, 1.0), r.seq DESC LIMIT ?`,
      ),
      searchOf: db.prepare<[string, string, number], FileRecordRow>(
        `SELECT ${COLUMNS} FROM file_search s JOIN file_records r ON r.seq = s.rowid JOIN file_contents c ON c.id = r.id
         WHERE file_search MATCH ? AND r.owner = ? ORDER BY bm25(file_search, 10.0, 1.0), r.seq DESC LIMIT ?`,
      ),
    };
  }

  #open() {
    if (this.#closed) throw new StoreClosed('This node is stopping; try again later or on another node.');
    return this.#statements;
  }

  add(record: FileRecord): AddFileOutcome {
    const s = this.#open();
    return this.db.transaction((): AddFileOutcome => {
      if (s.byName.get(record.owner, record.name)) return 'name_taken';
      if (s.byOwnerAndId.get(record.owner, record.id)) return 'content_taken';
      const chunks = packChunks(record.chunks);
      s.insertContent.run(record.id, record.size, record.chunkSize, chunks);
      s.insertRecord.run(
        record.id,
        record.owner,
        record.name,
        record.description,
        record.type,
        record.publishedAt,
      );
      return 'added';
    })();
  }

  byId(id: string): FileRecord[] {
    return this.#open().byId.all(id).map(fileRecordFromRow);
  }

  byName(owner: string, name: string): FileRecord | undefined {
    const row = this.#open().byName.get(owner, name);
    return row ? fileRecordFromRow(row) : undefined;
  }

  remove(id: string, owner: string): { removed?: FileRecord; remaining: number } {
    const s = this.#open();
    return this.db.transaction(() => {
      const row = s.byOwnerAndId.get(owner, id);
      if (row) s.deleteRecord.run(id, owner);
      const remaining = s.countById.get(id)?.n ?? 0;
      if (remaining === 0) {
        s.deleteContent.run(id);
        s.deleteDownloads.run(id);
      }
      return row ? { removed: fileRecordFromRow(row), remaining } : { remaining };
    })();
  }

  list(query: FileQuery): FileRecord[] {
    const s = this.#open();
    const { owner, words, limit } = query;
    if (words && words.length > 0) {
      const match = ftsQuery(words);
      return (owner === undefined ? s.search.all(match, limit) : s.searchOf.all(match, owner, limit)).map(
        fileRecordFromRow,
      );
    }
    return (owner === undefined ? s.newest.all(limit) : s.newestOf.all(owner, limit)).map(fileRecordFromRow);
  }

  recordDownload(id: string, entry: DownloadEntry): void {
    const s = this.#open();
    this.db.transaction(() => {
      const { changes } = s.insertDownload.run(
        id,
        entry.at,
        entry.user ?? null,
        entry.node ?? null,
        entry.bytes,
        id,
      );
      if (changes > 0) s.trimDownloads.run(id, id);
    })();
  }

  downloads(id: string, limit: number): DownloadEntry[] {
    return this.#open().downloads.all(id, limit).map(toDownload);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.options.ownsDb) this.db.close();
  }
}
