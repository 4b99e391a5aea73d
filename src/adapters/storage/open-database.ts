import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

export const DATABASE_FILE = 'meshchat.db';

/**
 * Opens (creating when needed) the node's SQLite database in its data dir, in WAL mode. One file per node;
 * each SQLite adapter (membership, messages) adds its own tables to it.
 */
export function openDatabase(dataDir: string): Database.Database {
  try {
    mkdirSync(dataDir, { recursive: true });
    const db = new Database(join(dataDir, DATABASE_FILE));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 2000');
    return db;
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new Error(`Cannot open the data dir ${dataDir}: ${why}`);
  }
}
