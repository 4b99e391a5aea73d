// `meshchat --version` and `meshchat version` print the version of the package that runs, read from its
// package.json at run time (not built in): a copy of dist/ under a package.json with another version prints that
// one, and a package.json without a version is one line and exit 1. The built CLI runs as a child process.
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { runCliToEnd } from '../support/processes.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A copy of the built package (dist/ and a link to node_modules) under `packageJson`; its CLI's path. */
function installedCopy(packageJson: object): string {
  const dir = mkdtempSync(join(tmpdir(), 'meshchat-version-'));
  dirs.push(dir);
  cpSync(join(ROOT, 'dist'), join(dir, 'dist'), { recursive: true, filter: (f) => !f.endsWith('.map') });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  writeFileSync(join(dir, 'package.json'), JSON.stringify(packageJson));
  return join(dir, 'dist', 'cli.js');
}

describe('meshchat --version', () => {
  it("--version and version print the package's version on stdout and exit 0; help lists it", async () => {
    const [flag, command, help, usage] = await Promise.all([
      runCliToEnd(['--version']),
      runCliToEnd(['version']),
      runCliToEnd(['help']),
      runCliToEnd(['version', '--help']),
    ]);
    expect(flag).toEqual({ code: 0, stdout: `meshchat ${version}\n`, stderr: '' });
    expect(command).toEqual(flag);
    expect(help.stdout).toMatch(/^ {2}version +print meshchat's version \(also --version\)$/m);
    expect(usage).toMatchObject({ code: 0, stderr: '' });
    expect(usage.stdout).toMatch(/^Usage: meshchat version/);
  });

  it('reads the version of the installed package.json when it runs, and says when there is none', async () => {
    const other = installedCopy({ name: 'meshchat', version: '9.8.7-test.1', type: 'module' });
    expect(await runCliToEnd(['--version'], {}, 20_000, other)).toEqual({
      code: 0,
      stdout: 'meshchat 9.8.7-test.1\n',
      stderr: '',
    });
    const broken = installedCopy({ name: 'meshchat', type: 'module' });
    const run = await runCliToEnd(['version'], {}, 20_000, broken);
    expect(run).toMatchObject({ code: 1, stdout: '' });
    expect(run.stderr).toMatch(/^meshchat version: \S+package\.json has no version\n$/);
  });

  it('takes no arguments', async () => {
    const run = await runCliToEnd(['version', 'extra']);
    expect(run).toEqual({
      code: 2,
      stdout: '',
      stderr: "meshchat version: takes no arguments (got 'extra')\n",
    });
  });
});
