// Scenario: a node under a flood and under a crowd of idle and slow connections (issue 15, item 6). One node
// runs in the bench process with its default limits. (1) Another user's /ws acknowledgement latency, idle and
// while one socket.io client floods `msg` events without waiting: the ratio of the two p99s. (2) 500 idle /ws
// clients plus 500 slowloris TCP connections (the start of a request, never finished), with the per-address cap
// raised so they all get in: the process's RSS before and with them, and GET /nodes latency meanwhile.

import { spawn } from 'node:child_process';
import net from 'node:net';
import WebSocket from 'ws';
import { ran } from '../lib/ran.js';
import { summarize } from '../lib/stats.js';
import { fixed, table } from '../lib/table.js';

export const name = 'bounds';
export const group = 'security';
export const title = "Other users' p99 under a flood; RSS and GET /nodes with 500 idle + 500 slowloris";

const SAMPLES = 200;
const CROWD = 500;
const MiB = 2 ** 20;
/**
 * The crowd connects from another loopback address than the flooder: its address is refused for a while once it
 * is cut off (and takes one HTTP request from its budget per upgrade).
 */
const CROWD_ADDRESS = '127.0.0.2';
/**
 * A socket.io client that sends `msg` events as fast as it can, without waiting for acknowledgements, and
 * connects again 10 ms after each disconnect or refusal (an attacker does not give up). Prints `flooding` on each
 * connect and `cut` on each disconnect.
 */
const FLOODER = `
import { io } from 'socket.io-client';
const [url, to] = process.argv.slice(1);
let n = 0;
function connect() {
  const socket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false });
  let on = false;
  socket.on('connect', () => {
    on = true;
    process.stdout.write('flooding\\n');
    const burst = () => {
      if (!on) return;
      for (let i = 0; i < 200; i++) socket.emit('msg', { to, msg: 'flood ' + n++ });
      setImmediate(burst);
    };
    burst();
  });
  socket.on('disconnect', () => {
    on = false;
    process.stdout.write('cut\\n');
    setTimeout(connect, 10);
  });
  socket.on('connect_error', () => {
    socket.close();
    setTimeout(connect, 10);
  });
}
connect();`;

export function budgetMs() {
  return 120_000;
}

/**
 * @param {string} url
 * @param {string} [localAddress] another loopback address, for a client other than the flooder
 */
function openWs(url, localAddress) {
  return /** @type {Promise<WebSocket>} */ (
    new Promise((resolve, reject) => {
      const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws`, localAddress ? { localAddress } : {});
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
    })
  );
}

/** @param {number} port */
function slowloris(port) {
  return /** @type {Promise<net.Socket>} */ (
    new Promise((resolve, reject) => {
      const socket = net.connect({ port, host: '127.0.0.1', localAddress: CROWD_ADDRESS }, () => {
        socket.write('GET /nodes HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
        resolve(socket);
      });
      socket.once('error', reject);
    })
  );
}

/**
 * `count` acknowledged sends, one after another, on `ws`; their latencies in ms.
 * @param {WebSocket} ws
 * @param {string} to
 * @param {number} count
 */
async function ackLatencies(ws, to, count) {
  /** @type {number[]} */
  const latencies = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await new Promise((resolve) => {
      /** @param {WebSocket.RawData} data */
      const onFrame = (data) => {
        const frame = JSON.parse(data.toString());
        if (frame.type !== 'ack' || frame.ref !== i) return;
        ws.off('message', onFrame);
        resolve(undefined);
      };
      ws.on('message', onFrame);
      ws.send(JSON.stringify({ type: 'msg', to, msg: `probe ${i}`, ref: i }));
    });
    latencies.push(performance.now() - t0);
    // Paced well under the connection's budget (50 a second): the probe measures latency, not its own limit.
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return latencies;
}

/** @param {string} url */
async function nodesLatencies(url, count = 50) {
  /** @type {number[]} */
  const latencies = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    const answer = await fetch(`${url}/nodes`);
    await answer.arrayBuffer();
    if (answer.status !== 200) throw new Error(`GET /nodes: ${answer.status}`);
    latencies.push(performance.now() - t0);
  }
  return latencies;
}

/** @param {{ log: (line: string) => void }} context */
export async function run({ log }) {
  await import('reflect-metadata');
  const { createNode } = await import('../../dist/container.js');
  const node = createNode({
    id: 'bench-bounds',
    port: 0,
    host: '127.0.0.1',
    tunnel: 'none',
    join: [],
    connections: { maxPerAddress: 4 * CROWD },
    // The crowd's upgrades all come from one address and take from its HTTP budget: room for them all.
    rateLimits: { http: { ratePerSecond: 50, burst: 4 * CROWD } },
  });
  /** @type {{ destroy(): void }[]} */
  const open = [];
  try {
    await node.start();
    const probe = await openWs(node.url);
    open.push({ destroy: () => probe.terminate() });
    const idle = summarize(await ackLatencies(probe, node.id, SAMPLES));
    // The flooder runs in its own process: in this one, its sending would stall the node's event loop itself.
    const flooder = spawn(process.execPath, ['--input-type=module', '-e', FLOODER, node.url, node.id], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    open.push({ destroy: () => flooder.kill() });
    let cuts = 0;
    let connects = 0;
    const started = new Promise((resolve) => {
      flooder.stdout.on('data', (/** @type {Buffer} */ chunk) => {
        for (const line of chunk.toString().split('\n')) {
          if (line === 'cut') cuts++;
          if (line === 'flooding') {
            connects++;
            resolve(undefined);
          }
        }
      });
    });
    await started;
    const during = summarize(await ackLatencies(probe, node.id, SAMPLES));
    const cutOff = `connected ${connects} times, cut off ${cuts} times`;
    flooder.kill();
    const ratio = (during.p99 ?? 0) / (idle.p99 ?? 1);
    log(
      `bounds: other user's p99 ${fixed(idle.p99 ?? 0, 2)} ms idle, ${fixed(during.p99 ?? 0, 2)} ms flooded ` +
        `(ratio ${fixed(ratio, 2)}; flooder ${cutOff})`,
    );

    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    const nodesIdle = summarize(await nodesLatencies(node.url));
    for (let i = 0; i < CROWD; i++) {
      const ws = await openWs(node.url, CROWD_ADDRESS);
      open.push({ destroy: () => ws.terminate() });
    }
    for (let i = 0; i < CROWD; i++) open.push(await slowloris(node.port));
    const nodesCrowded = summarize(await nodesLatencies(node.url));
    const rssCrowded = process.memoryUsage().rss;
    log(`bounds: RSS ${fixed(rssBefore / MiB, 1)} MiB, ${fixed(rssCrowded / MiB, 1)} MiB with the crowd`);
    return {
      ok: true,
      samples: SAMPLES,
      idleMs: idle,
      floodedMs: during,
      p99Ratio: Math.round(ratio * 100) / 100,
      flooder: cutOff,
      crowd: { ws: CROWD, slowloris: CROWD },
      rssMiB: { before: Math.round(rssBefore / MiB), crowded: Math.round(rssCrowded / MiB) },
      rssPerConnectionKiB: Math.round((rssCrowded - rssBefore) / 1024 / (2 * CROWD)),
      nodesMs: { idle: nodesIdle, crowded: nodesCrowded },
    };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log(`bounds: FAILED: ${message}`);
    return { ok: false, error: message };
  } finally {
    for (const socket of open) socket.destroy();
    await node.stop({ leave: false });
  }
}

/** @param {Awaited<ReturnType<typeof run>>} result */
export function report(result) {
  if (!ran(result)) return `  FAILED: ${result.error}`;
  return [
    table([
      ["other user's ack", 'p50 ms', 'p99 ms'],
      ['idle', fixed(result.idleMs.p50 ?? 0, 2), fixed(result.idleMs.p99 ?? 0, 2)],
      [
        'one socket.io client flooding (own process)',
        fixed(result.floodedMs.p50 ?? 0, 2),
        fixed(result.floodedMs.p99 ?? 0, 2),
      ],
    ]),
    `  p99 flooded / idle: ${fixed(result.p99Ratio, 2)} (the flooder ${result.flooder})`,
    table([
      ['', 'RSS MiB', 'GET /nodes p50 ms', 'p99 ms'],
      [
        'before',
        result.rssMiB.before,
        fixed(result.nodesMs.idle.p50 ?? 0, 2),
        fixed(result.nodesMs.idle.p99 ?? 0, 2),
      ],
      [
        `${result.crowd.ws} idle /ws + ${result.crowd.slowloris} slowloris`,
        result.rssMiB.crowded,
        fixed(result.nodesMs.crowded.p50 ?? 0, 2),
        fixed(result.nodesMs.crowded.p99 ?? 0, 2),
      ],
    ]),
    `  about ${result.rssPerConnectionKiB} KiB per connection (node and bench clients share the process)`,
  ].join('\n');
}
