import { createLogger } from './adapters/log/logger.js';
import { type DataDirLock, lockDataDir } from './adapters/storage/data-dir-lock.js';
import { NodeIdentityUnusable } from './adapters/storage/node-identity.js';
import { JoinFailed } from './application/errors.js';
import { USAGE_EXIT_CODE, UsageError } from './cli/args.js';
import { NODE_USAGE, parseNodeFlags } from './cli/node-flags.js';
import type { MeshNode } from './mesh-node.js';

/**
 * `meshchat node`: read the config, build the node, start it, print one line with its URL, and on SIGINT or
 * SIGTERM leave the network and exit 0. Startup failures are one line on stderr and exit 1; bad flags exit 2.
 */
export async function runNode(argv: readonly string[]): Promise<number> {
  let command: ReturnType<typeof parseNodeFlags>;
  try {
    command = parseNodeFlags(argv, process.env);
  } catch (error) {
    if (error instanceof NodeIdentityUnusable) {
      // The data dir (the default one too) cannot be created or read: a node that cannot start.
      process.stderr.write(`meshchat node: ${error.message}\n`);
      return 1;
    }
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`meshchat node: ${error.message}\n`);
    return USAGE_EXIT_CODE;
  }
  if (command.help) {
    process.stdout.write(`${NODE_USAGE}\n`);
    return 0;
  }
  // Taken before anything opens the data dir, and held until the process ends: two processes must never
  // share one database.
  let lock: DataDirLock | undefined;
  try {
    lock = command.config.dataDir === undefined ? undefined : lockDataDir(command.config.dataDir);
  } catch (error) {
    process.stderr.write(`meshchat node: ${failure(error)}\n`);
    return 1;
  }
  process.once('exit', () => lock?.release());
  const log = createLogger({ level: command.logLevel, pretty: process.stderr.isTTY, destination: 2 });
  // The container (HTTP, socket.io, SQLite) is loaded only now: `--help` and a bad flag answer without it.
  const { createNode } = await import('./container.js');
  let node: MeshNode;
  try {
    node = createNode(command.config, { log });
  } catch (error) {
    // An unusable data dir: the same one line as any other startup failure.
    process.stderr.write(`meshchat node: ${failure(error)}\n`);
    lock?.release();
    return 1;
  }
  // Signals are taken from the start: one that arrives while the node is still joining waits for that, then
  // leaves, so no peer keeps a node that announced itself and vanished.
  let stopRequested: (signal: NodeJS.Signals) => void = () => {};
  const stopSignal = new Promise<NodeJS.Signals>((resolve) => {
    stopRequested = resolve;
  });
  process.on('SIGINT', stopRequested);
  process.on('SIGTERM', stopRequested);

  try {
    const joined = await node.start();
    process.stdout.write(`meshchat node ${node.id} listening at ${node.url}\n`);
    if (joined && joined.seeds.length === 0) {
      // Only remembered nodes were asked (no --join), and none answered: say so, not "joined through :".
      process.stdout.write(
        `no node it knew answered (${joined.failedSeeds.map((f) => f.url).join(', ')}): running alone until ` +
          'one joins it or is found again; --join URL joins a network now\n',
      );
    } else if (joined) {
      process.stdout.write(
        `joined through ${joined.seeds.join(', ')}: ${joined.joined.length} node(s) told` +
          (joined.unreachable.length ? `, unreachable: ${joined.unreachable.join(', ')}` : '') +
          '\n',
      );
    }
  } catch (error) {
    // start() has already released whatever it had opened. A seed that failed may work again; this process
    // does not wait for it.
    const retry =
      error instanceof JoinFailed && error.seedFailed
        ? ' This node did not start: start it again once the seed works, or --join another node.'
        : '';
    process.stderr.write(`meshchat node: ${failure(error)}${retry}\n`);
    lock?.release();
    return 1;
  }
  const signal = await stopSignal;
  log.info({ signal }, 'leaving the network');
  const left = await node.stop();
  log.info({ notified: left?.notified, unreachable: left?.unreachable }, 'left the network');
  lock?.release();
  return 0;
}

function failure(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
