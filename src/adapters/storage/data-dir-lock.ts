import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeDirs } from './make-dirs.js';
import { systemErrorReason } from './system-error-reason.js';

/** The lock file in a data dir: the holder's process id, one line. */
export const LOCK_FILE = 'lock';

/** Another live process holds the data dir. The message is the one line the node prints. */
export class DataDirInUse extends Error {
  override name = 'DataDirInUse';
  readonly code = 'data_dir_in_use';
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(`data dir ${dataDir} is in use by process ${pid}`);
  }
}

/** The data dir could not be locked for another reason (permissions, a lock that keeps changing hands). */
export class DataDirUnlockable extends Error {
  override name = 'DataDirUnlockable';
  readonly code = 'data_dir_unlockable';
}

/** A held lock. `release` removes the lock file if it is still this holder's; it is idempotent. */
export interface DataDirLock {
  readonly dataDir: string;
  release(): void;
}

export interface LockOptions {
  /** The holder's process id (default this process). */
  readonly pid?: number;
  /** Whether a process is alive (default: signal 0; EPERM counts as alive, it exists). */
  readonly isAlive?: (pid: number) => boolean;
}

const processAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

const readPid = (file: string): number | undefined => {
  try {
    const text = readFileSync(file, 'utf8').trim();
    return /^\d{1,10}$/.test(text) ? Number(text) : Number.NaN;
  } catch {
    return undefined;
  }
};

const removeQuietly = (file: string) => {
  try {
    unlinkSync(file);
  } catch {
    // Already gone.
  }
};

/**
 * Takes the data dir for this process, so two processes never share its database and files. The lock file is
 * written aside and linked into place, which fails when it exists: only one process can win. A lock whose
 * process is gone (killed, crashed) is stale and taken over; one of a live process, this one included, throws
 * `DataDirInUse`. A pid reused by an unrelated process after a crash looks alive: the message names it, so an
 * operator can check and remove the file.
 */
export function lockDataDir(dataDir: string, options: LockOptions = {}): DataDirLock {
  const pid = options.pid ?? process.pid;
  const isAlive = options.isAlive ?? processAlive;
  const file = join(dataDir, LOCK_FILE);
  try {
    makeDirs(dataDir);
  } catch (error) {
    throw new DataDirUnlockable(`cannot create the data dir ${dataDir}: ${systemErrorReason(error)}`);
  }
  for (let attempt = 0; attempt < 3; attempt++) {
    const aside = `${file}.${pid}.${randomBytes(4).toString('hex')}`;
    try {
      writeFileSync(aside, `${pid}\n`, { flag: 'wx' });
      linkSync(aside, file);
      return held(dataDir, file, pid);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new DataDirUnlockable(`cannot lock the data dir ${dataDir}: ${systemErrorReason(error)}`);
      }
    } finally {
      removeQuietly(aside);
    }
    const holder = readPid(file);
    if (holder === undefined) continue;
    if (!Number.isNaN(holder) && isAlive(holder)) throw new DataDirInUse(dataDir, holder);
    // Stale. Moved aside in one step, then checked: if another process replaced it meanwhile, it goes back.
    const stale = `${file}.stale.${pid}.${randomBytes(4).toString('hex')}`;
    try {
      renameSync(file, stale);
    } catch {
      continue;
    }
    const moved = readPid(stale);
    if (moved !== undefined && moved !== holder && !Number.isNaN(moved) && isAlive(moved)) {
      try {
        linkSync(stale, file);
      } catch {
        // A third process took the dir meanwhile; either way it is not ours.
      }
      removeQuietly(stale);
      throw new DataDirInUse(dataDir, moved);
    }
    removeQuietly(stale);
  }
  throw new DataDirUnlockable(`cannot lock the data dir ${dataDir}: its lock file keeps changing; try again`);
}

function held(dataDir: string, file: string, pid: number): DataDirLock {
  let released = false;
  return {
    dataDir,
    release() {
      if (released) return;
      released = true;
      if (readPid(file) === pid) removeQuietly(file);
    },
  };
}
