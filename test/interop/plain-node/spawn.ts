import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const SERVER = fileURLToPath(new URL('./server.js', import.meta.url));
const WATCH_UPGRADES = new URL('./watch-upgrades.js', import.meta.url).href;
const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;

export interface PlainNode {
  id: string;
  url: string;
  child: ChildProcess;
  /** Sends `signal` (SIGKILL after 5 s if still alive) and resolves with the exit code (null if killed). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** The paths of the WebSocket upgrades its server received (only when started with `watchUpgrades`). */
  readonly upgrades: string[];
}

// No orphans: kill every child still running when this process exits. Children also exit when
// their stdin closes, which covers this process being killed outright.
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

export async function startPlainNode(opts: {
  id: string;
  join?: string;
  watchUpgrades?: boolean;
}): Promise<PlainNode> {
  const args = [
    ...(opts.watchUpgrades ? ['--import', WATCH_UPGRADES] : []),
    SERVER,
    '--id',
    opts.id,
    '--port',
    '0',
  ];
  if (opts.join !== undefined) args.push('--join', opts.join);
  const child = spawn(process.execPath, args, {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, PLAIN_NODE_EXIT_ON_STDIN_END: '1' },
  });
  running.add(child);
  child.once('exit', () => running.delete(child));

  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-8192);
  });

  const stop = (signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> =>
    new Promise((resolve) => {
      if (exited(child)) return resolve(child.exitCode);
      const kill = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      child.once('exit', (code) => {
        clearTimeout(kill);
        resolve(code);
      });
      child.kill(signal);
    });

  const upgrades: string[] = [];
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  lines.on('line', (line) => {
    const upgrade = /^PLAIN_NODE_UPGRADE=(\S*)$/.exec(line);
    if (upgrade?.[1] !== undefined) upgrades.push(upgrade[1]);
  });
  const url = await new Promise<string>((resolve, reject) => {
    const fail = (why: string) => {
      cleanup();
      child.kill('SIGKILL');
      reject(new Error(`plain node ${opts.id} ${why}\n${stderr}`));
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
      fail(`exited before it was ready (code ${code}, signal ${signal})`);
    const timer = setTimeout(() => fail(`not ready after ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
    const onLine = (line: string) => {
      const match = /^PLAIN_NODE_URL=(\S+)$/.exec(line);
      if (match?.[1] === undefined) return;
      cleanup();
      resolve(match[1]);
    };
    function cleanup() {
      clearTimeout(timer);
      child.off('exit', onExit);
      lines.off('line', onLine); // the interface keeps draining stdout
    }
    lines.on('line', onLine);
    child.once('exit', onExit);
  });

  return { id: opts.id, url, child, stop, upgrades };
}
