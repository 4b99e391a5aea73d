// Why a file system call on the data dir failed, in words, without Node's `CODE: text, syscall 'path'` form.

const REASONS: Readonly<Record<string, string>> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'a directory on its path does not exist',
  ENOTDIR: 'a part of its path is not a directory',
  EISDIR: 'it is a directory',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the disk',
  EDQUOT: 'the disk quota is used up',
  ENAMETOOLONG: 'the name is too long',
  EMFILE: 'too many files are open',
  EIO: 'an input/output error',
};

/** `permission denied` for an `EACCES`, and so on; any other error's own message on one line. */
export function systemErrorReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const known = typeof code === 'string' ? REASONS[code] : undefined;
  if (known !== undefined) return known;
  return (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ');
}
