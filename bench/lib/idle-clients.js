// Many idle socket.io users in a child process of the bench, so that they do not share the node's or the
// bench's event loop. Run with `fork`; driven over the IPC channel:
//   {type: 'connect', url, count, concurrency, firstAddress}
//                                              -> {type: 'connected', connected, failed, errors, rssBytes}
//                                                 (users spread over the source addresses 127.0.0.<first>..254,
//                                                 see LOCAL_ADDRESSES; errors: failure message -> count)
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

/**
 * Source addresses the users connect from, round robin: 127.0.0.2 to 127.0.0.254 (Linux answers the whole of
 * 127.0.0.0/8 on the loopback interface). A node limits connections and upgrade requests per client address
 * (`--max-connections`, default 256; `--http-rate`, bursts of 200), and 10,000 users from 127.0.0.1 alone would be
 * refused by design; about 40 users per address stay well inside every default, so the bench measures the node
 * as it ships. 127.0.0.1 is left to the bench's own requests (`PUT /msg`) and the other node.
 */
export const LOCAL_ADDRESSES = Array.from({ length: 253 }, (_, i) => `127.0.0.${i + 2}`);

/**
 * A failed connection's reason: socket.io-client says only "websocket error"; the cause (e.g. "Unexpected server
 * response: 429", "connect EADDRNOTAVAIL") is in its `description`.
 * @param {unknown} error
 */
function failureReason(error) {
  const message = String(field(error, 'message') ?? error);
  const description = field(error, 'description');
  const cause = field(description, 'message') ?? field(field(description, 'error'), 'message');
  return (cause === undefined ? message : `${message}: ${String(cause)}`).slice(0, 200);
}

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
      const firstAddress = Number(field(message, 'firstAddress')) || 0;
      let failed = 0;
      /** @type {Record<string, number>} failure message -> how many users failed so */
      const errors = {};
      let next = 0;
      const worker = async () => {
        while (next < count) {
          const localAddress = LOCAL_ADDRESSES[(firstAddress + next) % LOCAL_ADDRESSES.length];
          next++;
          try {
            const socket = await connectUser(url, { timeoutMs: 30_000, on: { msg: onMsg }, localAddress });
            sockets.push(socket);
          } catch (error) {
            failed++;
            const why = failureReason(error);
            errors[why] = (errors[why] ?? 0) + 1;
          }
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
      send({
        type: 'connected',
        connected: sockets.length,
        failed,
        errors,
        rssBytes: process.memoryUsage().rss,
      });
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
 * @property {(url: string, count: number, options?: { concurrency?: number, firstAddress?: number }) =>
 *   Promise<{ connected: number, failed: number, errors: Record<string, number>, rssBytes: number }>} connect
 *   `firstAddress`: index in LOCAL_ADDRESSES of this process's first user (give each process its own)
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
  const proc = fork(SELF, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  // Its stderr still reaches the bench's, and its last few KiB go in the error when it exits unexpectedly.
  let stderr = '';
  proc.stderr?.setEncoding('utf8');
  proc.stderr?.on('data', (chunk) => {
    process.stderr.write(chunk);
    stderr = (stderr + chunk).slice(-4096);
  });
  /** @type {Map<string, { resolve: (message: unknown) => void, reject: (error: Error) => void }>} */
  const waiting = new Map();
  proc.on('message', (message) => {
    const type = String(field(message, 'type'));
    const key = type === 'got' || type === 'armed' ? `${type}:${field(message, 'tag')}` : type;
    waiting.get(key)?.resolve(message);
    waiting.delete(key);
  });
  proc.once('exit', (code, signal) => {
    const tail = stderr.trim() ? `\n--- stderr of the idle users' process ---\n${stderr.trim()}` : '';
    for (const [key, { reject }] of waiting)
      reject(new Error(`idle users: process exited (${code ?? signal}) before ${key}${tail}`));
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
    async connect(url, count, { concurrency = 100, firstAddress = 0 } = {}) {
      const answer = next('connected', `${count} connections`);
      proc.send({ type: 'connect', url, count, concurrency, firstAddress });
      const message = await answer;
      return {
        connected: Number(field(message, 'connected')),
        failed: Number(field(message, 'failed')),
        errors: /** @type {Record<string, number>} */ (field(message, 'errors') ?? {}),
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
      // Handled here too: when the round fails before awaiting it (a refused `PUT /msg`), the processes are closed
      // and this rejects with nobody waiting, which would end the whole bench as an unhandled rejection and hide
      // the round's own error.
      got.catch(() => {});
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
