// Child processes for the bench: start one, wait for the line that says it is ready, stop it, and make sure
// none outlives the bench (killed on exit; children also exit when their stdin closes, see guarded-cli.js).
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 3_000;

/** @import { ChildProcessWithoutNullStreams } from 'node:child_process' */

/** @type {Set<ChildProcessWithoutNullStreams>} */
const running = new Set();

/** SIGKILLs every child still running (synchronous: safe in an `exit` handler). */
export function killAllChildren() {
  for (const child of running) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  running.clear();
}
process.on('exit', killAllChildren);

/** @param {ChildProcessWithoutNullStreams} child */
function exited(child) {
  return child.exitCode !== null || child.signalCode !== null;
}

/** @type {number | undefined} */
let ticksPerSecond;
function clockTicks() {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/**
 * CPU seconds (user + system) a process has used so far, from /proc; undefined where that is not available.
 * @param {number | undefined} pid
 * @returns {number | undefined}
 */
export function processCpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return (utime + stime) / clockTicks();
  } catch {
    return undefined;
  }
}

/**
 * The system calls a process has made so far that read and that write (`syscr`, `syscw` in /proc/PID/io: sockets,
 * pipes and files alike), and the bytes it wrote; undefined where /proc does not say.
 * @param {number | undefined} pid
 * @returns {{ reads: number, writes: number, bytesWritten: number } | undefined}
 */
export function processIo(pid) {
  if (pid === undefined) return undefined;
  try {
    const fields = new Map(
      readFileSync(`/proc/${pid}/io`, 'utf8')
        .trim()
        .split('\n')
        .map((line) => {
          const [key, value] = line.split(':');
          return [key?.trim(), Number(value)];
        }),
    );
    const reads = fields.get('syscr');
    const writes = fields.get('syscw');
    const bytesWritten = fields.get('wchar');
    if (reads === undefined || writes === undefined || bytesWritten === undefined) return undefined;
    return { reads, writes, bytesWritten };
  } catch {
    return undefined;
  }
}

/**
 * A started child process.
 * @typedef {object} Child
 * @property {string} name
 * @property {string} url what its ready line said (the first capture group of `ready`)
 * @property {number | undefined} pid
 * @property {ChildProcessWithoutNullStreams} child
 * @property {() => string} stderr the last few KiB of its stderr
 * @property {() => number | undefined} cpuSeconds
 * @property {(signal?: NodeJS.Signals) => Promise<number | null>} stop
 */

/**
 * Spawns `node <execArgv> <args>` and resolves once a stdout line matches `ready` (its first capture group is the
 * url). `execArgv` are options for node itself, such as `--cpu-prof` (not allowed in NODE_OPTIONS).
 * Output is always drained (a full pipe would block the child); the last few KiB of stderr go in errors.
 * `onStderr(chunk)`, if given, also sees every chunk of stderr as it arrives (utf8 text, lines may be split
 * across chunks), e.g. to count log lines; it must be quick, it runs in the bench's event loop.
 * @param {object} spec
 * @param {string} spec.name
 * @param {readonly string[]} spec.args
 * @param {readonly string[]} [spec.execArgv]
 * @param {Record<string, string>} [spec.env]
 * @param {RegExp} spec.ready
 * @param {number} [spec.timeoutMs]
 * @param {(chunk: string) => void} [spec.onStderr]
 * @param {number} [spec.fdLimit] raise the child's open-file limit to this first (`ulimit -n` in a shell that
 *   then execs node, so the pid is node's); it cannot pass the hard limit the bench runs under
 * @returns {Promise<Child>}
 */
export async function startChild({
  name,
  args,
  execArgv = [],
  env = {},
  ready,
  timeoutMs = START_TIMEOUT_MS,
  onStderr,
  fdLimit,
}) {
  const argv = [...execArgv, ...args];
  const [command, commandArgs] =
    fdLimit === undefined
      ? [process.execPath, argv]
      : ['/bin/sh', ['-c', `ulimit -n ${Math.floor(fdLimit)} && exec "$0" "$@"`, process.execPath, ...argv]];
  const child = spawn(command, commandArgs, {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  child.stdin.on('error', () => {}); // EPIPE when the child is already gone

  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4096);
    onStderr?.(chunk);
  });
  const lines = createInterface({ input: child.stdout });

  /** @type {string} */
  const url = await new Promise((resolve, reject) => {
    /** @param {string} why */
    const fail = (why) => {
      cleanup();
      child.kill('SIGKILL');
      reject(new Error(`${name} ${why}${stderr ? `\n--- stderr of ${name} ---\n${stderr.trim()}` : ''}`));
    };
    /** @param {number | null} code @param {NodeJS.Signals | null} signal */
    const onExit = (code, signal) => fail(`exited before it was ready (code ${code}, signal ${signal})`);
    /** @param {Error} error */
    const onError = (error) => fail(`could not start: ${error.message}`);
    const timer = setTimeout(() => fail(`was not ready after ${timeoutMs} ms`), timeoutMs);
    /** @param {string} line */
    const onLine = (line) => {
      const match = ready.exec(line);
      if (!match) return;
      cleanup();
      resolve(match[1] ?? '');
    };
    function cleanup() {
      clearTimeout(timer);
      child.off('exit', onExit);
      child.off('error', onError);
      lines.off('line', onLine); // the interface keeps draining stdout
    }
    lines.on('line', onLine);
    child.once('exit', onExit);
    child.once('error', onError);
  });

  return {
    name,
    url,
    pid: child.pid,
    child,
    stderr: () => stderr,
    cpuSeconds: () => processCpuSeconds(child.pid),
    /**
     * SIGTERM (SIGKILL after a few seconds); resolves with the exit code, null when killed by a signal.
     * @param {NodeJS.Signals} [signal]
     * @returns {Promise<number | null>}
     */
    stop(signal = 'SIGTERM') {
      return new Promise((resolve) => {
        if (exited(child)) return resolve(child.exitCode);
        const kill = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        child.once('exit', (code) => {
          clearTimeout(kill);
          resolve(code);
        });
        child.kill(signal);
      });
    },
  };
}
