import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';

/** How often the background connection copies the WAL back into the database. */
export const WAL_CHECKPOINT_INTERVAL_MS = 100;
/** SQLite's own automatic checkpoint threshold (pages), restored when the background thread is gone. */
const SQLITE_AUTOCHECKPOINT_PAGES = 1000;
/** How long `stop` waits for the thread to close its connection before it is terminated. */
const STOP_WAIT_MS = 2_000;

/**
 * The thread's code (CommonJS, run with `eval`, so it needs no file of its own next to the compiled module). It
 * opens a second connection to the same file, never writes through it, and runs a PASSIVE checkpoint every
 * `intervalMs`: it copies committed WAL frames into the database as far as readers allow, with the fsyncs that
 * `synchronous = NORMAL` puts there, and never waits for or blocks the writer.
 */
const WORKER_CODE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.sqlite);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('synchronous = NORMAL');
db.pragma('wal_autocheckpoint = 0');
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (error) {
    // SQLITE_BUSY and the like: the next tick tries again.
  }
}, workerData.intervalMs);
parentPort.postMessage('ready');
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

/**
 * WAL checkpoints off the event loop. With `synchronous = NORMAL` a commit is a write to the WAL and no fsync;
 * the fsyncs come with checkpoints, which SQLite runs inside whichever commit pushes the WAL past 1,000 pages.
 * Under a steady load that is a commit every fraction of a second that holds the event loop for the fsyncs
 * (milliseconds on a busy disk), and every message waiting behind it. Here a worker thread with its own
 * connection checkpoints instead, and the node's connection stops checkpointing on its own once the thread is
 * up. Durability is unchanged: the same commits, the same WAL, the same syncs, only on another thread.
 *
 * When the thread cannot start or dies, the connection checkpoints on its own again, as before.
 */
export class WalCheckpoints {
  readonly #worker: Worker;
  #stopped = false;
  #running = false;
  readonly #exited: Promise<void>;

  private constructor(
    private readonly db: Database.Database,
    intervalMs: number,
  ) {
    const sqlite = createRequire(import.meta.url).resolve('better-sqlite3');
    this.#worker = new Worker(WORKER_CODE, {
      eval: true,
      workerData: { sqlite, file: db.name, intervalMs },
    });
    // A node that is built and never stopped must not be kept alive by its checkpoints.
    this.#worker.unref();
    this.#worker.once('message', () => {
      if (this.#stopped || !db.open) return;
      db.pragma('wal_autocheckpoint = 0');
      this.#running = true;
    });
    this.#worker.on('error', () => this.#fallBack());
    this.#exited = new Promise<void>((resolve) =>
      this.#worker.once('exit', () => {
        this.#fallBack();
        resolve();
      }),
    );
  }

  /** Starts checkpointing `db` (a file database in WAL mode) from a worker thread. */
  static start(db: Database.Database, intervalMs = WAL_CHECKPOINT_INTERVAL_MS): WalCheckpoints {
    return new WalCheckpoints(db, intervalMs);
  }

  /** Whether the thread checkpoints now (false before it is up, after it died, and once stopped). */
  get running(): boolean {
    return this.#running;
  }

  /**
   * Stops the thread (its connection closed first), so that the node's connection, closed next, is the last one
   * and does the final checkpoint as usual.
   */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#worker.postMessage('stop');
    const timer = setTimeout(() => void this.#worker.terminate(), STOP_WAIT_MS);
    await this.#exited;
    clearTimeout(timer);
  }

  /** The node's connection checkpoints on its own again. */
  #fallBack(): void {
    if (!this.#running) return;
    this.#running = false;
    if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${SQLITE_AUTOCHECKPOINT_PAGES}`);
  }
}
