// socket.io users for the bench, over the websocket transport only (no long-polling start), one connection
// each (forceNew: socket.io-client would otherwise multiplex every user of one URL over a single connection).
/** @import { Socket } from 'socket.io-client' */
import { io } from 'socket.io-client';

const CONNECT_TIMEOUT_MS = 10_000;

/**
 * `on`: event name -> listener, attached before the connection opens (socket.io drops an event nobody listens to,
 * and `history` arrives right after `connect`, possibly before the caller could attach anything).
 * @param {string} url
 * @param {{ timeoutMs?: number, on?: Record<string, (data: unknown) => void>, localAddress?: string }} [options]
 *   a listener gets the event's data as it came off the wire, to check before use; `localAddress`: the loopback
 *   address to connect from (a node limits connections per client address)
 * @returns {Promise<Socket>}
 */
export function connectUser(url, { timeoutMs = CONNECT_TIMEOUT_MS, on = {}, localAddress } = {}) {
  const socket = io(url, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    timeout: timeoutMs,
    ...(localAddress === undefined ? {} : { localAddress }),
  });
  for (const [event, listener] of Object.entries(on)) socket.on(event, listener);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => fail(new Error(`no socket.io connection to ${url} after ${timeoutMs} ms`)),
      timeoutMs,
    );
    /** @param {Error} error */
    function fail(error) {
      clearTimeout(timer);
      socket.disconnect();
      reject(error);
    }
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('connect_error', fail);
      resolve(socket);
    });
    socket.once('connect_error', fail);
  });
}

/**
 * `count` users on `url`, all connected, or none (the others disconnected) and the first failure thrown.
 * @param {string} url
 * @param {number} count
 */
export async function connectUsers(url, count) {
  const settled = await Promise.allSettled(Array.from({ length: count }, () => connectUser(url)));
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) {
    for (const s of settled) if (s.status === 'fulfilled') s.value.disconnect();
    throw failed.reason;
  }
  return settled.map((s) => /** @type {PromiseFulfilledResult<Socket>} */ (s).value);
}

/** @param {Iterable<Socket>} sockets */
export function disconnectAll(sockets) {
  for (const socket of sockets) socket.disconnect();
}
