// makeDirs makes each component once and throws the error of the one that stopped it. A path under /proc,
// where Node's own recursive mkdir never returns, is tried in a child process with a deadline, so that a
// regression fails instead of hanging the run: test/integration/cli-node-errors.test.ts.
import { mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeDirs } from '../../src/adapters/storage/make-dirs.js';
import { systemErrorReason } from '../../src/adapters/storage/system-error-reason.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'meshchat-make-dirs-'));
  dirs.push(dir);
  return dir;
}

const reasonFor = (path: string) => {
  try {
    makeDirs(path);
  } catch (error) {
    return systemErrorReason(error);
  }
  return 'made';
};

describe('makeDirs', () => {
  it('makes every missing component, and again is a no-op', () => {
    const path = join(tempDir(), 'a', 'b', 'c');
    makeDirs(path);
    makeDirs(path);
    expect(statSync(path).isDirectory()).toBe(true);
  });

  it('says a file on the path is not a directory', () => {
    const file = join(tempDir(), 'file');
    writeFileSync(file, 'x');
    expect(reasonFor(join(file, 'data'))).toBe('a part of its path is not a directory');
  });

  it('says a link to nothing on the path is a directory that does not exist', () => {
    const link = join(tempDir(), 'link');
    symlinkSync(join(tmpdir(), 'meshchat-make-dirs-nothing-here'), link);
    expect(reasonFor(join(link, 'data'))).toBe('a directory on its path does not exist');
  });
});
