// Many idle socket.io users in a child process of the bench, so that they do not share the node's or the
// bench's event loop. Run with `fork`; driven over the IPC channel:
//   {type: 'connect', url, count, concurrency} -> {type: 'connected', connected, failed, rssBytes}
//   {type: 'expect', tag}                      -> {type: 'armed', tag} at once, then
//                                                 {type: 'got', tag, received, lastNs} once every user got a
//                                                 `msg` whose text is `tag` (lastNs: process.hrtime.bigint() of
//                                                 the last one, as a string; the same clock in every process)
//   {type: 'close'}                            -> every user disconnects, the process exits
// The parent side is `startIdleClients`.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { field } from './field.js';
import { connectUser } from './users.js';

/** @import { Socket } from 'socket.io-client' */
/** @import { ChildProcess } from 'node:child_process' */

const SELF = fileURLToPath(import.meta.url);

/** The child: runs when this file is the forked program. */
async function child() {
  /** @type {Socket[]} */
  const sockets = [];
  /** @type {{ tag: string, received: number, lastNs: bigint } | undefined} */
  let expecting;
  const send = (/** @type {object} */ message) => process.send?.(message);
  const onMsg = (/** @type {unknown} */ data) => {
    if (!expecting || field(data, 'msg') !== expecting.tag) return;
    expecting.received++;
    expecting.lastNs = process.hrtime.bigint();
    if (expecting.received === sockets.length) {
      send({
        type: 'got',
        tag: expecting.tag,
        received: expecting.received,
        lastNs: String(expecting.lastNs),
      });
      expecting = undefined;
    }
  };
  process.on('disconnect', () => process.exit(0));
  process.on('message', async (message) => {
    const type = field(message, 'type');
    if (type === 'connect') {
      const url = String(field(message, 'url'));
      const count = Number(field(message, 'count'));
      const concurrency = Number(field(message, 'concurrency')) || 100;
      let failed = 0;
      let next = 0;
      const worker = async () => {
        while (next < count) {
          next++;
          try {
            const socket = await connectUser(url, { timeoutMs: 30_000, on: { msg: onMsg } });
            sockets.push(socket);
          } catch {
            failed++;
          }
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
      send({ type: 'connected', connected: sockets.length, failed, rssBytes: process.memoryUsage().rss });
    } else if (type === 'expect') {
      expecting = { tag: String(field(message, 'tag')), received: 0, lastNs: 0n };
      send({ type: 'armed', tag: expecting.tag });
    } else if (type === 'close') {
      for (const socket of sockets) socket.disconnect();
      setTimeout(() => process.exit(0), 200);
    }
  });
  send({ type: 'ready' });
}

/**
 * A forked process holding idle users.
 * @typedef {object} IdleClients
 * @property {(url: string, count: number, concurrency?: number) => Promise<{ connected: number, failed: number, rssBytes: number }>} connect
 * @property {(tag: string) => Promise<{ got: Promise<{ received: number, lastNs: bigint }> }>} expect arms the
 *   watch for `tag` and resolves once it is armed; `got` resolves once every user of this process got it
 * @property {() => Promise<void>} close
 */

/**
 * Forks a process for idle users (it inherits the bench's open-file limit: one descriptor per user).
 * @param {{ timeoutMs?: number }} [options]
 * @returns {Promise<IdleClients>}
 */
export async function startIdleClients({ timeoutMs = 120_000 } = {}) {
  /** @type {ChildProcess} */
  const proc = fork(SELF, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  /** @type {Map<string, { resolve: (message: unknown) => void, reject: (error: Error) => void }>} */
  const waiting = new Map();
  proc.on('message', (message) => {
    const type = String(field(message, 'type'));
    const key = type === 'got' || type === 'armed' ? `${type}:${field(message, 'tag')}` : type;
    waiting.get(key)?.resolve(message);
    waiting.delete(key);
  });
  proc.once('exit', (code) => {
    for (const [key, { reject }] of waiting)
      reject(new Error(`idle users: process exited (${code}) before ${key}`));
    waiting.clear();
  });
  /** @param {string} key @param {string} what @returns {Promise<unknown>} */
  const next = (key, what) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiting.delete(key);
        reject(new Error(`idle users: no ${what} after ${timeoutMs} ms`));
      }, timeoutMs);
      const settle = (/** @type {() => void} */ f) => {
        clearTimeout(timer);
        f();
      };
      waiting.set(key, {
        resolve: (message) => settle(() => resolve(message)),
        reject: (error) => settle(() => reject(error)),
      });
    });
  await next('ready', 'start');
  return {
    async connect(url, count, concurrency = 100) {
      const answer = next('connected', `${count} connections`);
      proc.send({ type: 'connect', url, count, concurrency });
      const message = await answer;
      return {
        connected: Number(field(message, 'connected')),
        failed: Number(field(message, 'failed')),
        rssBytes: Number(field(message, 'rssBytes')),
      };
    },
    async expect(tag) {
      const armed = next(`armed:${tag}`, `the watch for ${tag}`);
      const answer = next(`got:${tag}`, `message ${tag} at every user`);
      proc.send({ type: 'expect', tag });
      await armed;
      const got = answer.then((message) => ({
        received: Number(field(message, 'received')),
        lastNs: BigInt(String(field(message, 'lastNs'))),
      }));
      return { got };
    },
    async close() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((resolve) => proc.once('exit', resolve));
      proc.send({ type: 'close' });
      const kill = setTimeout(() => proc.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(kill);
    },
  };
}

if (process.argv[1] === SELF && process.send) await child();
