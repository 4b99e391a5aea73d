import { expect } from 'vitest';
import { closedPort } from './free-port.js';
import { type CliProcess, runCli, tempDataDir } from './processes.js';
import { type Started, stopAfterEach } from './started.js';
import { connectSocketIoUser, type SocketIoTestUser } from './users.js';

/** Slack for a loaded CI machine: process start, scheduling, HTTP round trips, the polling itself. */
export const CI_MARGIN_MS = 4_500;
export const POLL_MS = 50;

export interface RunningNode {
  id: string;
  url: string;
  proc: CliProcess;
}

/** How a node is started: a fixed port and its own data dir let it come back at the same URL with its state. */
export interface NodeOptions {
  port?: number;
  dataDir?: string;
  join?: string[];
  extra?: string[];
}

/**
 * `meshchat node` processes and socket.io users for a multi-process test file; everything it starts is
 * stopped (SIGKILL) and removed after each test.
 */
export function cliNodes(): Started & {
  startNode(id: string, options?: NodeOptions): Promise<RunningNode>;
  durable(): Promise<{ port: number; dataDir: string }>;
  crash(node: RunningNode): Promise<void>;
  connectUser(url: string, auth?: Record<string, unknown>): Promise<SocketIoTestUser>;
} {
  const started = stopAfterEach();
  return {
    ...started,
    /** Starts `meshchat node` and waits for its "listening" line. */
    async startNode(id, options = {}) {
      const { port = 0, dataDir, join = [], extra = [] } = options;
      const proc = runCli(
        ['node', '--id', id, '--port', String(port), ...join.flatMap((url) => ['--join', url]), ...extra],
        dataDir === undefined ? {} : { MESHCHAT_DATA_DIR: dataDir },
      );
      started.processes.push(proc);
      const match = await proc.waitForOutput(
        new RegExp(`meshchat node ${id} listening at (http://127\\.0\\.0\\.1:\\d+)\\n`),
      );
      return { id, url: match[1] ?? '', proc };
    },
    /** A port and a data dir of its own, for a node that is to be restarted as itself. */
    async durable() {
      const dataDir = tempDataDir();
      started.dataDirs.push(dataDir);
      return { port: await closedPort(), dataDir };
    },
    /** SIGKILL: a crash, with no goodbye and no flush. Resolves once the process is gone. */
    async crash(node) {
      node.proc.child.kill('SIGKILL');
      expect(await node.proc.exited).toBe('SIGKILL');
    },
    async connectUser(url, auth) {
      const user = await connectSocketIoUser(url, auth ? { auth } : {});
      started.users.push(user);
      return user;
    },
  };
}
