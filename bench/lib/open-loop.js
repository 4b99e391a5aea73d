// Open-loop load: one socket.io user on node A sends to `receivers` users on node B at a fixed rate, whatever
// the nodes answer (an open loop: a slow node gets no respite, as with many independent users). A message's
// latency runs from the moment its schedule said to send it (not when the bench managed to: a late sender is
// counted against the run, so coordinated omission does not hide a stall) to the moment the last receiver got it.
// The receivers live in a child process of their own (`load-receivers.js`), so that the sender's schedule is not
// held up by the bench decoding ten copies of every message; both processes read the machine's monotonic clock.
// With `acks`, each send asks for meshchat's acknowledgement and the outcomes are counted: a message not
// delivered whose sender was told `delivered` or `queued` is a silent loss; one refused with an error
// (`outbox_full`, `destination_busy`, say) was refused out loud; one with no answer by the end of the drain
// is counted apart as unanswered (and as a silent loss, the node having said nothing). The drain waits for
// the answers too: a node still working through its backlog of sends is answering, not quiet.

import { processIo } from './children.js';
import { payload } from './fanout.js';
import { field } from './field.js';
import { monotonicMs, startLoadReceivers } from './load-receivers.js';
import { percentile } from './stats.js';
import { connectUser, disconnectAll } from './users.js';

/** @import { NodesCpu } from './fanout.js' */

const ACK = { none: 0, delivered: 1, queued: 2, refused: 3 };
/** The sender's schedule is checked every millisecond (Node's finest timer); what is due goes out then. */
const TICK_MS = 1;

const sleep = (/** @type {number} */ ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** @param {ReturnType<typeof readings>} nodes both nodes' CPU seconds, when both are known */
function nodesCpu({ a, b }) {
  return typeof a.cpu === 'number' && typeof b.cpu === 'number' ? a.cpu + b.cpu : undefined;
}

/**
 * What each node of the pair spent per delivered message between two readings: CPU, and the system calls
 * that read and that wrote (every one of which may wake another process: the next node, a user, the disk).
 * @typedef {{ cpuMs: number | null, reads: number | null, writes: number | null, bytesWritten: number | null }} NodeCost
 */

/** @param {{ a?: number | undefined, b?: number | undefined } | undefined} pids @param {NodesCpu} cpu */
function readings(pids, cpu) {
  return { a: { cpu: cpu.a, io: processIo(pids?.a) }, b: { cpu: cpu.b, io: processIo(pids?.b) } };
}

/**
 * @param {ReturnType<typeof readings>} before
 * @param {ReturnType<typeof readings>} after
 * @param {number} delivered
 * @returns {{ a: NodeCost, b: NodeCost } | null}
 */
function perNodeCost(before, after, delivered) {
  if (delivered <= 0) return null;
  const per = (/** @type {number | undefined} */ x, /** @type {number | undefined} */ y, scale = 1) =>
    x === undefined || y === undefined ? null : Math.round(((y - x) * scale * 1000) / delivered) / 1000;
  const round = (/** @type {number | null} */ v) => (v === null ? null : Math.round(v));
  /** @param {'a' | 'b'} w @returns {NodeCost} */
  const node = (w) => ({
    cpuMs: per(before[w].cpu, after[w].cpu, 1000),
    reads: per(before[w].io?.reads, after[w].io?.reads),
    writes: per(before[w].io?.writes, after[w].io?.writes),
    bytesWritten: round(per(before[w].io?.bytesWritten, after[w].io?.bytesWritten)),
  });
  return { a: node('a'), b: node('b') };
}

/**
 * Offers `rate` messages a second for `seconds`, then waits for the stragglers (until every message arrived,
 * nothing arrived for `quietMs`, or `drainMaxMs` passed). Returns plain numbers.
 * @param {object} run
 * @param {string} run.senderUrl
 * @param {string} run.receiverUrl
 * @param {string} run.to
 * @param {number} run.rate messages per second offered
 * @param {number} run.seconds
 * @param {string} run.tag distinguishes this run's messages from any other's
 * @param {number} [run.receivers]
 * @param {boolean} [run.acks] ask for acknowledgements (meshchat answers them; the plain node does not)
 * @param {number} [run.quietMs]
 * @param {number} [run.drainMaxMs]
 * @param {() => NodesCpu} [run.cpuSeconds]
 * @param {{ a?: number | undefined, b?: number | undefined }} [run.pids] the nodes' processes, for `perNode`
 */
export async function offerLoad({
  senderUrl,
  receiverUrl,
  to,
  rate,
  seconds,
  tag,
  receivers = 10,
  acks = false,
  quietMs = 2_000,
  drainMaxMs = 20_000,
  cpuSeconds,
  pids,
}) {
  const count = Math.max(1, Math.round(rate * seconds));
  const scheduled = new Float64Array(count);
  const ackOf = new Uint8Array(count);
  /** @type {Record<string, number>} */
  const refusals = {};
  let lastAnswerAt = 0;
  let answered = 0;
  let refusedCount = 0;

  const users = await startLoadReceivers({ url: receiverUrl, count: receivers, tag, messages: count });
  let sender;
  try {
    sender = await connectUser(senderUrl);
  } catch (error) {
    users.kill();
    throw error;
  }
  /** Why the node cut the sender off, if it did (a sender that reads too slowly is disconnected). */
  let senderCut = /** @type {string | null} */ (null);
  sender.on('disconnect', (reason) => {
    senderCut ??= String(reason);
  });
  /** @param {number} i @returns {(answer: unknown) => void} */
  const ackFor = (i) => (answer) => {
    lastAnswerAt = monotonicMs();
    answered++;
    const status = field(answer, 'status');
    if (field(answer, 'ok') === true && status === 'delivered') ackOf[i] = ACK.delivered;
    else if (field(answer, 'ok') === true) ackOf[i] = ACK.queued;
    else {
      ackOf[i] = ACK.refused;
      refusedCount++;
      const code = String(field(field(answer, 'error'), 'code') ?? 'unknown');
      refusals[code] = (refusals[code] ?? 0) + 1;
    }
  };

  try {
    const nodesBefore = readings(pids, cpuSeconds?.() ?? {});
    const cpuBefore = nodesCpu(nodesBefore);
    const start = monotonicMs() + 20;
    let next = 0;
    let lateMs = 0; // how far behind its schedule the sender fell, at worst
    await new Promise((resolve) => {
      const timer = setInterval(() => {
        const now = monotonicMs();
        const due = Math.min(count, Math.floor(((now - start) * rate) / 1000) + 1);
        while (next < due) {
          const i = next++;
          scheduled[i] = start + (i * 1000) / rate;
          lateMs = Math.max(lateMs, now - (scheduled[i] ?? now));
          const body = { to, msg: payload(tag, i) };
          if (acks) sender.emit('msg', body, ackFor(i));
          else sender.emit('msg', body);
        }
        if (next >= count) {
          clearInterval(timer);
          resolve(undefined);
        }
      }, TICK_MS);
    });
    const sendEnd = monotonicMs();
    const sendSeconds = (sendEnd - start) / 1000;
    const deadline = sendEnd + drainMaxMs;
    // Until every message arrived (and, with acks, every send was answered), nothing arrived or was answered
    // for `quietMs`, or `drainMaxMs` passed.
    const settled = () =>
      acks ? answered === count && users.delivered + refusedCount === count : users.delivered === count;
    while (!settled() && monotonicMs() < deadline) {
      if (monotonicMs() - Math.max(lastAnswerAt, users.lastAt, sendEnd) > quietMs) break;
      await sleep(50);
    }
    await sleep(200); // late duplicates
    const nodesAfter = readings(pids, cpuSeconds?.() ?? {});
    const cpuAfter = nodesCpu(nodesAfter);
    const { doneAt, delivered, duplicateCopies } = await users.finish();
    let inWindow = 0;
    for (const done of doneAt) if (done !== null && done <= sendEnd) inWindow++;

    const latencies = [];
    let silent = 0;
    for (let i = 0; i < count; i++) {
      const done = doneAt[i] ?? null;
      if (done !== null) latencies.push(done - (scheduled[i] ?? 0));
      else if (ackOf[i] !== ACK.refused) silent++;
    }
    const sorted = Float64Array.from(latencies).sort();
    const r = (/** @type {number | undefined} */ v) => (v === undefined ? null : Math.round(v * 1000) / 1000);
    const acksCount = (/** @type {number} */ kind) => ackOf.reduce((n, a) => n + (a === kind ? 1 : 0), 0);
    return {
      rate,
      sent: count,
      sendSeconds: Math.round(sendSeconds * 1000) / 1000,
      senderLateMs: Math.round(lateMs * 10) / 10,
      delivered,
      lost: count - delivered,
      silentLoss: silent,
      duplicateCopies,
      senderDisconnected: senderCut,
      goodput: sendSeconds > 0 ? Math.round((inWindow / sendSeconds) * 10) / 10 : null,
      ms: {
        p50: r(percentile(sorted, 0.5)),
        p99: r(percentile(sorted, 0.99)),
        p999: r(percentile(sorted, 0.999)),
        max: r(sorted[sorted.length - 1]),
      },
      acks: acks
        ? {
            delivered: acksCount(ACK.delivered),
            queued: acksCount(ACK.queued),
            refused: acksCount(ACK.refused),
            none: acksCount(ACK.none),
            refusals,
          }
        : null,
      nodesCpuMsPerMsg:
        cpuBefore !== undefined && cpuAfter !== undefined && delivered > 0
          ? Math.round(((cpuAfter - cpuBefore) / delivered) * 1e6) / 1e3
          : null,
      perNode: perNodeCost(nodesBefore, nodesAfter, delivered),
    };
  } finally {
    disconnectAll([sender]);
    users.kill();
  }
}

/** @typedef {Awaited<ReturnType<typeof offerLoad>>} LoadRun what one open-loop run measured */
