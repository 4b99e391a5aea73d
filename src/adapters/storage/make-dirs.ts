import { mkdirSync, statSync } from 'node:fs';
import { dirname, join, parse, resolve, sep } from 'node:path';

/**
 * `mkdir -p`, one component at a time, each tried once, with the error that says why. Node's recursive
 * `mkdirSync` is not used: it reads `ENOENT` as "the parent is missing", makes the parent, and tries again, so
 * where the parent exists and `mkdir` still answers `ENOENT` (`/proc`, and other virtual file systems) it never
 * returns. It also answers `ENOENT` when a missing parent cannot be made (on a read-only file system, say),
 * hiding the `EROFS` or `EACCES` that stopped it. Here the first component that fails throws its own error, and
 * an `ENOENT` under a parent that exists throws `DirectoryNotCreatable`.
 */
export function makeDirs(path: string): void {
  const absolute = resolve(path);
  let at = parse(absolute).root;
  for (const part of absolute.slice(at.length).split(sep).filter(Boolean)) {
    at = join(at, part);
    try {
      mkdirSync(at);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // Something is there: a directory, or a file, which the next component (or the caller) finds out.
      if (code === 'EEXIST') continue;
      if (code === 'ENOENT' && statSync(dirname(at), { throwIfNoEntry: false })?.isDirectory())
        throw new DirectoryNotCreatable(dirname(at));
      throw error;
    }
  }
}

/** `mkdir` answered `ENOENT` although the parent exists: its file system takes no new directories there. */
export class DirectoryNotCreatable extends Error {
  constructor(readonly parent: string) {
    super(`${parent} exists, but its file system does not let a directory be made in it`);
  }
}
