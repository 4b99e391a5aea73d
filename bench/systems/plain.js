// Two plain nodes (the assignment's express + body-parser + socket.io + axios node used by the interop tests),
// each a child process, B joined to A; or two floor nodes (`bench/lib/floor-node.js`: the same user protocol
// with nothing else on the path), started the same way.
import { fileURLToPath } from 'node:url';
import { startChild } from '../lib/children.js';

const PLAIN_SERVER = fileURLToPath(new URL('../../test/interop/plain-node/server.js', import.meta.url));
const FLOOR_SERVER = fileURLToPath(new URL('../lib/floor-node.js', import.meta.url));

/** @import { Child } from '../lib/children.js' */

/** @param {{ ids?: readonly [string, string], fdLimit?: number }} [options] fdLimit: see startChild */
export function startPlainPair({ ids = ['plain-a', 'plain-b'], fdLimit } = {}) {
  return startPair('plain', PLAIN_SERVER, ids, fdLimit);
}

/** Two floor nodes, B joined to A (one WebSocket between them). */
export function startFloorPair() {
  return startPair('floor', FLOOR_SERVER, ['floor-a', 'floor-b'], undefined);
}

/**
 * @param {'plain' | 'floor'} system
 * @param {string} server
 * @param {readonly [string, string]} ids
 * @param {number | undefined} fdLimit
 */
async function startPair(system, server, ids, fdLimit) {
  /** @type {Child[]} */
  const started = [];
  const stop = async () => {
    await Promise.all(started.reverse().map((p) => p.stop()));
  };
  /**
   * @param {string} id
   * @param {string} [joinUrl]
   */
  const startNode = async (id, joinUrl) => {
    const args = [server, '--id', id, '--port', '0'];
    if (joinUrl) args.push('--join', joinUrl);
    const node = await startChild({
      name: `${system} node ${id}`,
      args,
      env: { PLAIN_NODE_EXIT_ON_STDIN_END: '1' },
      ready: /^PLAIN_NODE_URL=(\S+)$/,
      ...(fdLimit === undefined ? {} : { fdLimit }),
    });
    started.push(node);
    return node;
  };
  try {
    const a = await startNode(ids[0]);
    const b = await startNode(ids[1], a.url);
    return {
      system,
      mode: 'process',
      a: { id: ids[0], url: a.url, pid: a.pid },
      b: { id: ids[1], url: b.url, pid: b.pid },
      cpuSeconds: () => ({ a: a.cpuSeconds(), b: b.cpuSeconds() }),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
