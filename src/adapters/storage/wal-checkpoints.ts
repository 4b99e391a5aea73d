import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';

/** How often the background connection copies the WAL back into the database. */
export const WAL_CHECKPOINT_INTERVAL_MS = 100;
/** SQLite's own automatic checkpoint threshold (pages), restored when the background thread is gone. */
const SQLITE_AUTOCHECKPOINT_PAGES = 1000;
/** How long `stop` waits for the thread to close its connection before it is terminated. */
const STOP_WAIT_MS = 2_000;

/** When the thread is needed: rows written per second that start it, and the quiet spell that stops it. */
export interface WalCheckpointSettings {
  /** Between two checkpoints of the thread. */
  readonly intervalMs: number;
  /** How often the node's write count is looked at (one `total_changes()` on the node's connection). */
  readonly sampleMs: number;
  /** Rows written within one sample that start the thread (0: started at the first sample). */
  readonly busyRows: number;
  /** The thread stops after this long without a busy sample (its memory back, SQLite checkpointing again). */
  readonly idleStopMs: number;
}

export const WAL_CHECKPOINT_DEFAULTS: WalCheckpointSettings = {
  intervalMs: WAL_CHECKPOINT_INTERVAL_MS,
  sampleMs: 1_000,
  // About 50 messages a second; below it an in-loop checkpoint comes seldom (1,000 pages of WAL apart).
  busyRows: 200,
  idleStopMs: 60_000,
};

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

/** One worker thread with its own connection, checkpointing until stopped. */
class CheckpointThread {
  readonly #worker: Worker;
  readonly #exited: Promise<void>;
  #stopped = false;
  #running = false;
  #gone = false;

  constructor(
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
        this.#gone = true;
        this.#fallBack();
        resolve();
      }),
    );
  }

  get running(): boolean {
    return this.#running;
  }

  /** It ended without being stopped (it could not start, or died). */
  get failed(): boolean {
    return this.#gone && !this.#stopped;
  }

  async stop(): Promise<void> {
    if (this.#stopped) return this.#exited;
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

/**
 * WAL checkpoints off the event loop while the node writes a lot. With `synchronous = NORMAL` a commit is a write
 * to the WAL and no fsync; the fsyncs come with checkpoints, which SQLite runs inside whichever commit pushes the
 * WAL past 1,000 pages. Under a steady load that is a commit every fraction of a second that holds the event loop
 * for the fsyncs (milliseconds on a busy disk), and every message waiting behind it. While the node writes more
 * than `busyRows` rows a second, a worker thread with its own connection checkpoints instead, and the node's
 * connection stops checkpointing on its own once the thread is up. Durability is unchanged: the same commits,
 * the same WAL, the same syncs, only on another thread.
 *
 * The thread costs about 10 MB of resident memory, so a node that writes little does without it: it starts at
 * the first busy second and stops after `idleStopMs` without one. When the thread cannot start or dies, the
 * connection checkpoints on its own again, as before.
 */
export class WalCheckpoints {
  readonly #settings: WalCheckpointSettings;
  readonly #sample: NodeJS.Timeout;
  readonly #changes: Database.Statement;
  #thread: CheckpointThread | undefined;
  #stopping: Promise<void> | undefined;
  #lastChanges: number;
  #lastBusyAt = 0;
  #stopped = false;

  private constructor(
    private readonly db: Database.Database,
    settings: WalCheckpointSettings,
  ) {
    this.#settings = settings;
    this.#changes = db.prepare('SELECT total_changes()').pluck();
    this.#lastChanges = this.#changes.get() as number;
    this.#sample = setInterval(() => this.#look(), settings.sampleMs);
    this.#sample.unref();
  }

  /** Watches `db` (a file database in WAL mode) and checkpoints it from a worker thread while it is busy. */
  static start(db: Database.Database, settings: Partial<WalCheckpointSettings> = {}): WalCheckpoints {
    return new WalCheckpoints(db, { ...WAL_CHECKPOINT_DEFAULTS, ...settings });
  }

  /** Whether the thread checkpoints now (false while idle, before it is up, after it died, once stopped). */
  get running(): boolean {
    return this.#thread?.running ?? false;
  }

  /**
   * Stops watching and stops the thread (its connection closed first), so that the node's connection, closed
   * next, is the last one and does the final checkpoint as usual.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#sample);
    await this.#stopping;
    await this.#thread?.stop();
    this.#thread = undefined;
  }

  #look(): void {
    if (this.#stopped || !this.db.open) return;
    const changes = this.#changes.get() as number;
    const busy = changes - this.#lastChanges >= this.#settings.busyRows;
    this.#lastChanges = changes;
    const now = Date.now();
    if (busy) this.#lastBusyAt = now;
    // A thread that failed is not tried again: SQLite checkpoints by itself, as without one.
    if (this.#stopping || this.#thread?.failed) return;
    if (busy && !this.#thread) {
      this.#thread = new CheckpointThread(this.db, this.#settings.intervalMs);
    } else if (!busy && this.#thread && now - this.#lastBusyAt >= this.#settings.idleStopMs) {
      const thread = this.#thread;
      this.#thread = undefined;
      this.#stopping = thread.stop().finally(() => {
        this.#stopping = undefined;
      });
    }
  }
}
