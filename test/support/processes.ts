import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

const running = new Set<ChildProcessWithoutNullStreams>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export interface CliProcess {
  readonly child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal's name). */
  readonly exited: Promise<number | string>;
  /** Waits until stdout matches, with a deadline. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
}

/**
 * Where the child runs (`cwd`), and paths it must not be able to write (`readOnly`: each bind-mounted read-only
 * in a mount namespace of the child's own, see `unwritable`).
 */
export interface CliSpawnOptions {
  readonly cwd?: string;
  readonly readOnly?: readonly string[];
}

/** Whether file modes bind this test runner: root (CAP_DAC_OVERRIDE) writes whatever the modes say. */
export const MODES_APPLY = process.getuid?.() !== 0;

/**
 * Makes `paths` unwritable for a child: a test chmods them as well, which is enough for anyone but root; a root
 * test runner (CI) runs the child in a mount namespace where each is a read-only bind mount (`unshare -m`,
 * private to the child, gone when it exits), which binds root too. The reason a child then gives is
 * `permission denied` under modes and `the file system is read-only` under the mount: `unwritableReason`.
 */
export function unwritable(paths: readonly string[]): CliSpawnOptions {
  return MODES_APPLY ? {} : { readOnly: paths };
}

/** What a child told `unwritable` paths says of them, in `systemErrorReason`'s words. */
export const unwritableReason = MODES_APPLY ? 'permission denied' : 'the file system is read-only';

/**
 * Mounts each of its first `$1` arguments read-only over itself, enters the working directory again (so that it
 * is seen through the new mounts too), then runs the rest.
 */
const READ_ONLY_MOUNTS =
  'n=$1; shift; while [ "$n" -gt 0 ]; do mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" || exit 97; ' +
  'shift; n=$((n-1)); done; cd "$PWD" && exec "$@"';

/** A fresh data dir under the system's temp dir, so test nodes never share or litter state. */
export function tempDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'meshchat-test-'));
}

/**
 * Runs the built `meshchat` CLI as a child process (`script`, the worktree's `dist/cli.js` unless a test runs a
 * copy). Unless `env` names a data dir, the child gets a fresh one, removed when it exits.
 */
export function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  script = CLI,
  spawnOptions: CliSpawnOptions = {},
): CliProcess {
  const ownDataDir = env.MESHCHAT_DATA_DIR === undefined ? tempDataDir() : undefined;
  const { readOnly = [], ...options } = spawnOptions;
  const [command, commandArgs] =
    readOnly.length === 0
      ? [process.execPath, [script, ...args]]
      : [
          'unshare',
          [
            '-m',
            'sh',
            '-c',
            READ_ONLY_MOUNTS,
            'sh',
            String(readOnly.length),
            ...readOnly,
            process.execPath,
            script,
            ...args,
          ],
        ];
  const child = spawn(command, commandArgs, {
    ...options,
    env: { ...process.env, MESHCHAT_LOG_LEVEL: 'warn', MESHCHAT_DATA_DIR: ownDataDir, ...env },
  });
  if (ownDataDir) child.on('exit', () => rmSync(ownDataDir, { recursive: true, force: true }));
  running.add(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => {
      running.delete(child);
      resolve(code ?? signal ?? -1);
    });
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForOutput: (pattern, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const match = out.match(pattern);
          if (match) {
            clearInterval(timer);
            clearTimeout(deadline);
            resolve(match);
          }
        };
        const timer = setInterval(check, 20);
        const deadline = setTimeout(() => {
          clearInterval(timer);
          reject(new Error(`No ${pattern} on stdout within ${timeoutMs} ms. stdout: ${out} stderr: ${err}`));
        }, timeoutMs);
        exited.then(() => setTimeout(check, 50));
        check();
      }),
  };
}

/**
 * Runs a CLI command to its end and gives its exit code and output; rejects when it has not exited within
 * `timeoutMs` (the process is then left to the test's cleanup, which kills what is still running).
 */
export async function runCliToEnd(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 20_000,
  script = CLI,
  spawnOptions: CliSpawnOptions = {},
): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const proc = runCli(args, env, script, spawnOptions);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`meshchat ${args[0]} did not exit`)), timeoutMs);
  });
  try {
    const code = await Promise.race([proc.exited, deadline]);
    return { code, stdout: proc.stdout(), stderr: proc.stderr() };
  } finally {
    clearTimeout(timer);
  }
}
