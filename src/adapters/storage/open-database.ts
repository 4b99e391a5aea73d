import { join } from 'node:path';
import Database from 'better-sqlite3';
import { makeDirs } from './make-dirs.js';
import { WalCheckpoints } from './wal-checkpoints.js';

export const DATABASE_FILE = 'meshchat.db';

/**
 * Opens (creating when needed) the node's SQLite database in its data dir, in WAL mode. One file per node;
 * each SQLite adapter (membership, messages) adds its own tables to it.
 */
export function openDatabase(dataDir: string): Database.Database {
  try {
    makeDirs(dataDir);
    const db = new Database(join(dataDir, DATABASE_FILE));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 2000');
    assertWritable(db, dataDir);
    return db;
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new Error(`Cannot open the data dir ${dataDir}: ${why}`);
  }
}

/**
 * SQLite opens a database file this process may not write (another owner, mode 444) read-only without a word,
 * and a node would then start and fail every save. One write of the header's unused `user_version`, to the
 * value it has, finds it out at the start.
 */
function assertWritable(db: Database.Database, dataDir: string): void {
  try {
    db.pragma(`user_version = ${Number(db.pragma('user_version', { simple: true }))}`);
  } catch (error) {
    db.close();
    if ((error as { code?: unknown }).code === 'SQLITE_READONLY')
      throw new Error(
        `${join(dataDir, DATABASE_FILE)} cannot be written by this process (check its owner and permissions)`,
      );
    throw error;
  }
}

/** The node's database and what runs beside it: `close` stops the checkpoint thread, then closes the file. */
export interface NodeDatabase {
  readonly db: Database.Database;
  close(): Promise<void>;
}

/** `openDatabase`, with its WAL checkpoints on a worker thread while it writes a lot (`WalCheckpoints`). */
export function openNodeDatabase(dataDir: string): NodeDatabase {
  const db = openDatabase(dataDir);
  const checkpoints = WalCheckpoints.start(db);
  return {
    db,
    async close() {
      await checkpoints.stop();
      if (db.open) db.close();
    },
  };
}
