import { mkdirSync } from 'node:fs';
import { join, parse, resolve, sep } from 'node:path';

/**
 * `mkdir -p`, with the error that says why. Node's recursive `mkdirSync` answers `ENOENT` when a missing parent
 * cannot be made (on a read-only file system, say), which would tell an operator that a directory does not
 * exist; then each part is made in turn, so the error thrown is the one that stopped it (`EROFS`, `EACCES`…).
 */
export function makeDirs(path: string): void {
  try {
    mkdirSync(path, { recursive: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const absolute = resolve(path);
    let at = parse(absolute).root;
    for (const part of absolute.slice(at.length).split(sep).filter(Boolean)) {
      at = join(at, part);
      try {
        mkdirSync(at);
      } catch (partError) {
        if ((partError as NodeJS.ErrnoException).code !== 'EEXIST') throw partError;
      }
    }
    throw error;
  }
}
