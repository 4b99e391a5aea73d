// A file system error of a command's own files (`-o PATH`, `PATH.part`, the file to publish) as one sentence.

import { dirname } from 'node:path';

const REASONS: Readonly<Record<string, string>> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'no space left on the disk',
  EDQUOT: 'the disk quota is used up',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  EROFS: 'the file system is read-only',
  EEXIST: 'it already exists',
  ENAMETOOLONG: 'the name is too long',
  EMFILE: 'too many files are open',
  EIO: 'an input/output error',
};

/**
 * The sentence for a Node system error on a local file (`cannot write /x/y.part: permission denied`), or
 * undefined for anything else (which is then a bug, reported as such).
 */
export function localFileProblem(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const { code, syscall, path } = error as NodeJS.ErrnoException;
  if (typeof code !== 'string' || typeof syscall !== 'string') return undefined;
  const where = typeof path === 'string' ? path : 'a local file';
  if (code === 'ENOENT') {
    return typeof path === 'string'
      ? `cannot ${verb(syscall)} ${where}: the directory ${dirname(path)} does not exist`
      : `cannot ${verb(syscall)} ${where}: no such file or directory`;
  }
  return `cannot ${verb(syscall)} ${where}: ${REASONS[code] ?? code}`;
}

function verb(syscall: string): string {
  if (syscall === 'read' || syscall === 'stat' || syscall === 'lstat') return 'read';
  if (syscall === 'rename') return 'move the download to';
  return 'write';
}
