// Free TCP ports on 127.0.0.1, picked up front, so a node can be restarted at the URL it had.
import { createServer } from 'node:net';

/**
 * `count` distinct ports the kernel considers free right now (all held open together, then released). Another
 * process could take one before it is used: callers get a clear "address in use" failure then, not a hang.
 * @param {number} count
 * @returns {Promise<number[]>}
 */
export async function freePorts(count, host = '127.0.0.1') {
  /** @type {import('node:net').Server[]} */
  const servers = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await /** @type {Promise<void>} */ (
        new Promise((resolve, reject) => {
          server.once('error', reject);
          server.listen(0, host, () => resolve());
        })
      );
    }
    return servers.map((server) => /** @type {import('node:net').AddressInfo} */ (server.address()).port);
  } finally {
    await Promise.all(
      servers.map(
        (server) => /** @type {Promise<void>} */ (new Promise((resolve) => server.close(() => resolve()))),
      ),
    );
  }
}
