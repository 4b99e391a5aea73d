// The receiving users of the open loop (bench/lib/open-loop.js) in a child process of the bench, so that decoding
// ten copies of every message does not share an event loop with the sender's 1 ms schedule: a sender that falls
// behind because its own process is busy receiving would count against whichever system it measures. Times are
// `process.hrtime.bigint()` in milliseconds (CLOCK_MONOTONIC, the same clock in every process on the machine).
// Run with `fork`; driven over the IPC channel:
//   {type: 'connect', url, count, tag, messages} -> {type: 'connected'} once `count` users are connected, or
//                                                   {type: 'failed', error}
//   then, every PROGRESS_MS while anything arrives: {type: 'progress', delivered, lastAt}
//   {type: 'finish'}                             -> {type: 'finished', doneAt, delivered, duplicateCopies},
//                                                   then every user disconnects and the process exits
// A message counts as delivered once every user got it; `doneAt[seq]` is when the last one did (null: never).
// The parent side is `startLoadReceivers`.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parsePayload } from './fanout.js';
import { field } from './field.js';
import { connectUsers, disconnectAll } from './users.js';

/** @import { ChildProcess } from 'node:child_process' */

const SELF = fileURLToPath(import.meta.url);
const PROGRESS_MS = 50;
const START_TIMEOUT_MS = 30_000;

/** Now, in milliseconds of the machine's monotonic clock (comparable across processes). */
export const monotonicMs = () => Number(process.hrtime.bigint()) / 1e6;

/** The child: runs when this file is the forked program. */
async function child() {
  const send = (/** @type {object} */ message) => process.send?.(message);
  process.on('disconnect', () => process.exit(0));
  /** @type {import('socket.io-client').Socket[]} */
  let users = [];
  let delivered = 0;
  let lastAt = 0;
  let duplicateCopies = 0;
  /** @type {Float64Array} */
  let doneAt = new Float64Array(0);
  let reported = -1;
  const progress = setInterval(() => {
    if (reported === delivered) return;
    reported = delivered;
    send({ type: 'progress', delivered, lastAt });
  }, PROGRESS_MS);
  process.on('message', async (message) => {
    const type = field(message, 'type');
    if (type === 'connect') {
      const url = String(field(message, 'url'));
      const count = Number(field(message, 'count'));
      const tag = String(field(message, 'tag'));
      const messages = Number(field(message, 'messages'));
      doneAt = new Float64Array(messages).fill(Number.NaN);
      const got = new Uint16Array(messages);
      const copies = new Uint8Array(messages * count);
      try {
        users = await connectUsers(url, count);
      } catch (error) {
        send({ type: 'failed', error: error instanceof Error ? error.message : String(error) });
        return;
      }
      users.forEach((socket, user) => {
        socket.on('msg', (data) => {
          const at = monotonicMs();
          const parsed = parsePayload(field(data, 'msg'));
          if (!parsed || parsed.tag !== tag || parsed.seq >= messages) return;
          lastAt = at;
          const slot = parsed.seq * count + user;
          const n = (copies[slot] ?? 0) + 1;
          copies[slot] = Math.min(n, 255);
          if (n > 1) return void duplicateCopies++;
          const all = (got[parsed.seq] ?? 0) + 1;
          got[parsed.seq] = all;
          if (all === count) {
            doneAt[parsed.seq] = at;
            delivered++;
          }
        });
      });
      send({ type: 'connected' });
    } else if (type === 'finish') {
      clearInterval(progress);
      send({
        type: 'finished',
        doneAt: Array.from(doneAt, (v) => (Number.isNaN(v) ? null : v)),
        delivered,
        duplicateCopies,
      });
      disconnectAll(users);
      setTimeout(() => process.exit(0), 100);
    }
  });
}

/**
 * `count` users on `url` in a child process, counting the copies of the `messages` messages of phase `tag`.
 * Resolves once they are connected (rejects when they cannot be).
 * @param {{ url: string, count: number, tag: string, messages: number }} spec
 */
export async function startLoadReceivers({ url, count, tag, messages }) {
  /** @type {ChildProcess} */
  const proc = fork(SELF, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const state = { delivered: 0, lastAt: 0 };
  /** @type {((message: unknown) => void) | undefined} */
  let onFinished;
  proc.on('message', (message) => {
    const type = field(message, 'type');
    if (type === 'progress') {
      state.delivered = Number(field(message, 'delivered'));
      state.lastAt = Number(field(message, 'lastAt'));
    } else if (type === 'finished') onFinished?.(message);
  });
  await new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => fail(`receivers not connected after ${START_TIMEOUT_MS} ms`),
      START_TIMEOUT_MS,
    );
    /** @param {string} why */
    function fail(why) {
      clearTimeout(timer);
      proc.kill();
      reject(new Error(why));
    }
    proc.on('message', (message) => {
      const type = field(message, 'type');
      if (type === 'connected') {
        clearTimeout(timer);
        resolve(undefined);
      } else if (type === 'failed') fail(String(field(message, 'error')));
    });
    proc.once('exit', (code) => fail(`the receivers' process exited (code ${code})`));
    proc.send({ type: 'connect', url, count, tag, messages });
  });
  return {
    /** Messages every user got so far, and when the last copy of anything arrived (as of the last report). */
    get delivered() {
      return state.delivered;
    },
    get lastAt() {
      return state.lastAt;
    },
    /**
     * Ends the count: when each message reached its last user (null: it did not), and the extra copies.
     * @returns {Promise<{ doneAt: (number | null)[], delivered: number, duplicateCopies: number }>}
     */
    finish() {
      return new Promise((resolve, reject) => {
        onFinished = (message) =>
          resolve({
            doneAt: /** @type {(number | null)[]} */ (field(message, 'doneAt')),
            delivered: Number(field(message, 'delivered')),
            duplicateCopies: Number(field(message, 'duplicateCopies')),
          });
        proc.once('exit', () => reject(new Error("the receivers' process exited before it reported")));
        proc.send({ type: 'finish' });
      });
    },
    kill() {
      if (proc.exitCode === null) proc.kill();
    },
  };
}

if (process.argv[1] === SELF) await child();
