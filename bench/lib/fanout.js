// The measurement engine: one socket.io user on node A sends `msg {to: B, msg}`; `receivers` users on node B
// receive it. A message counts as delivered when every receiver got it, and its latency is the time from the
// emit on A to the moment the last receiver got it (one clock: every user lives in this process).
//
// Phases, each with its own message tag so a late message of one phase is never mistaken for another's:
//   warm-up     windowed sends, not measured (JIT, connection pools, TCP slow start);
//   latency     `count` messages one at a time: the next is sent once the previous one reached every receiver;
//   throughput  `count` messages with at most `window` in flight; delivered msgs/s over the whole phase.
// After each phase a short drain lets late or duplicated copies arrive before the exactly-once check.
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { field } from './field.js';
import { ran } from './ran.js';
import { median, summarize } from './stats.js';
import { connectUser, connectUsers, disconnectAll } from './users.js';

/** @import { Socket } from 'socket.io-client' */
/** @import { BenchOptions } from '../run.js' */
/** @import { Failed } from './ran.js' */

const PREFIX = 'bench:';

/**
 * One message of a phase: when it was sent, copies per receiver, and its window slot.
 * @typedef {object} Sent
 * @property {number} sentAt
 * @property {Uint16Array} copies
 * @property {number} got receivers that have it
 * @property {number | undefined} doneAt when the last receiver got it
 * @property {(() => void) | undefined} onDone
 * @property {boolean} released its window slot was given up
 * @property {NodeJS.Timeout | undefined} timer
 */

/**
 * CPU seconds each node of a pair has used so far (missing where the pair cannot tell, e.g. in process).
 * @typedef {{ a?: number | undefined, b?: number | undefined }} NodesCpu
 */

/**
 * Two started nodes, B joined to A, that the fan-out runs between (meshchat or plain).
 * @typedef {object} FanoutPair
 * @property {{ id: string, url: string }} a
 * @property {{ id: string, url: string }} b
 * @property {() => NodesCpu} [cpuSeconds]
 */

/**
 * @typedef {(phase: 'warmup' | 'latency' | 'throughput', edge: 'start' | 'end') => void | Promise<void>} OnPhase
 */

/** Everything sent in one phase and every copy received of it. */
class PhaseTracker {
  /**
   * @param {string} tag
   * @param {number} receivers
   */
  constructor(tag, receivers) {
    this.tag = tag;
    this.receivers = receivers;
    /** @type {Map<number, Sent>} seq -> what was sent */
    this.messages = new Map();
    this.unknownSeq = 0;
    this.lastReceiptAt = 0;
  }

  /** @param {number} seq */
  sent(seq) {
    /** @type {Sent} */
    const entry = {
      sentAt: performance.now(),
      copies: new Uint16Array(this.receivers),
      got: 0,
      doneAt: undefined,
      onDone: undefined,
      released: false,
      timer: undefined,
    };
    this.messages.set(seq, entry);
    return entry;
  }

  /**
   * @param {number} user index of the receiver
   * @param {number} seq
   * @param {number} at
   */
  received(user, seq, at) {
    this.lastReceiptAt = at;
    const entry = this.messages.get(seq);
    if (!entry) {
      this.unknownSeq++;
      return;
    }
    const copies = (entry.copies[user] ?? 0) + 1;
    entry.copies[user] = copies;
    if (copies !== 1) return;
    entry.got++;
    if (entry.got === this.receivers) {
      entry.doneAt = at;
      entry.onDone?.();
    }
  }

  /** Exactly-once accounting over every message sent in this phase. */
  delivery() {
    let delivered = 0;
    let incomplete = 0;
    let missingCopies = 0;
    let duplicateCopies = 0;
    let duplicatedMessages = 0;
    for (const entry of this.messages.values()) {
      if (entry.got === this.receivers) delivered++;
      else incomplete++;
      missingCopies += this.receivers - entry.got;
      let extra = 0;
      for (const n of entry.copies) if (n > 1) extra += n - 1;
      duplicateCopies += extra;
      if (extra > 0) duplicatedMessages++;
    }
    return {
      sent: this.messages.size,
      delivered,
      lost: incomplete, // messages that did not reach every receiver
      lostCopies: missingCopies, // (message, receiver) pairs that never arrived
      duplicated: duplicatedMessages, // messages some receiver got more than once
      duplicateCopies, // extra copies in total
      unknown: this.unknownSeq, // copies with a sequence number this phase never sent
    };
  }
}

/**
 * The text of bench message `seq` of phase `tag`, padded to `padBytes`.
 * @param {string} tag
 * @param {number} seq
 */
export function payload(tag, seq, padBytes = 0) {
  const head = `${PREFIX}${tag}:${seq}:`;
  return padBytes > head.length ? head.padEnd(padBytes, 'x') : head;
}

/**
 * `{tag, seq}` of a bench message's text; undefined for any other text.
 * @param {unknown} text
 */
export function parsePayload(text) {
  if (typeof text !== 'string' || !text.startsWith(PREFIX)) return undefined;
  const tagEnd = text.indexOf(':', PREFIX.length);
  const seqEnd = text.indexOf(':', tagEnd + 1);
  if (tagEnd < 0 || seqEnd < 0) return undefined;
  const seq = Number(text.slice(tagEnd + 1, seqEnd));
  return Number.isInteger(seq) ? { tag: text.slice(PREFIX.length, tagEnd), seq } : undefined;
}

const sleep = (/** @type {number} */ ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits until nothing has arrived for `quietMs` (at most `maxMs`).
 * @param {PhaseTracker} tracker
 */
async function drain(tracker, { quietMs = 300, maxMs = 2_000 } = {}) {
  const until = performance.now() + maxMs;
  while (performance.now() < until) {
    const idle = performance.now() - tracker.lastReceiptAt;
    if (idle >= quietMs) return;
    await sleep(Math.min(quietMs - idle + 1, until - performance.now()));
  }
}

/**
 * Sends `count` messages with at most `window` outstanding. A message that has not reached every receiver
 * after `messageTimeoutMs` gives its slot up (it is then counted as lost unless it completes later). No new
 * message is sent once `phaseTimeoutMs` has passed. Resolves with timing once every sent message completed or
 * gave its slot up.
 * @param {object} run
 * @param {Socket} run.sender
 * @param {string} run.to
 * @param {PhaseTracker} run.tracker
 * @param {number} run.count
 * @param {number} run.window
 * @param {number} run.messageTimeoutMs
 * @param {number} run.phaseTimeoutMs
 * @param {number} run.padBytes
 * @returns {Promise<{ startedAt: number, endedAt: number, sent: number, timedOut: number, stoppedEarly: boolean }>}
 */
function windowed({ sender, to, tracker, count, window, messageTimeoutMs, phaseTimeoutMs, padBytes }) {
  return new Promise((resolve) => {
    const startedAt = performance.now();
    const deadline = startedAt + phaseTimeoutMs;
    let next = 0;
    let inFlight = 0;
    let timedOut = 0;
    let lastSettledAt = startedAt;
    let finished = false;

    const finish = () => {
      if (finished) return;
      finished = true;
      resolve({ startedAt, endedAt: lastSettledAt, sent: next, timedOut, stoppedEarly: next < count });
    };
    const pump = () => {
      while (inFlight < window && next < count && performance.now() < deadline) {
        const seq = next++;
        inFlight++;
        const entry = tracker.sent(seq);
        const release = (/** @type {boolean} */ timeout) => {
          if (entry.released) return;
          entry.released = true;
          clearTimeout(entry.timer);
          if (timeout) timedOut++;
          inFlight--;
          lastSettledAt = performance.now();
          pump();
        };
        entry.onDone = () => release(false);
        entry.timer = setTimeout(() => release(true), messageTimeoutMs);
        sender.emit('msg', { to, msg: payload(tracker.tag, seq, padBytes) });
      }
      if (inFlight === 0 && (next >= count || performance.now() >= deadline)) finish();
    };
    pump();
  });
}

/** @param {PhaseTracker} tracker */
function latencies(tracker) {
  /** @type {number[]} */
  const out = [];
  for (const entry of tracker.messages.values())
    if (entry.doneAt !== undefined) out.push(entry.doneAt - entry.sentAt);
  return out;
}

/** Busy CPU seconds of the whole machine (every core, steal included), from /proc/stat; undefined elsewhere. */
function machineCpuSeconds() {
  try {
    const [, ...fields] = (readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '').trim().split(/\s+/);
    const [user = NaN, nice = NaN, system = NaN, , , irq = NaN, softirq = NaN, steal = 0] =
      fields.map(Number);
    return (user + nice + system + irq + softirq + steal) / 100; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds used so far by node A, node B, this (client) process, and the whole machine.
 * @param {(() => NodesCpu) | undefined} cpuSeconds
 */
function cpuSnapshot(cpuSeconds) {
  /** @type {NodesCpu} */
  const nodes = cpuSeconds?.() ?? {};
  const client = process.cpuUsage();
  return {
    a: nodes.a,
    b: nodes.b,
    client: (client.user + client.system) / 1e6,
    machine: machineCpuSeconds(),
  };
}

/**
 * Utilisation during a phase, in % of one core: node A, node B, the bench client, the whole machine, and
 * `unattributed` (the machine minus those three: other processes, and kernel work such as loopback TCP that is
 * not charged to a process; a new connection per message shows up here). Plus the CPU time
 * the two nodes spent per delivered message.
 * @param {ReturnType<typeof cpuSnapshot>} before
 * @param {ReturnType<typeof cpuSnapshot>} after
 * @param {number} seconds
 * @param {number} delivered
 */
function cpuUse(before, after, seconds, delivered) {
  /** @param {keyof typeof before} k */
  const used = (k) => {
    const was = before[k];
    const is = after[k];
    return typeof was === 'number' && typeof is === 'number' ? is - was : undefined;
  };
  /** @param {number | undefined} v */
  const pct = (v) => (v === undefined ? null : Math.round((v / seconds) * 1000) / 10);
  const [a, b, client, machine] = [used('a'), used('b'), used('client'), used('machine')];
  const unattributed =
    a !== undefined && b !== undefined && client !== undefined && machine !== undefined
      ? Math.max(0, machine - a - b - client)
      : undefined;
  return {
    percent: {
      a: pct(a),
      b: pct(b),
      client: pct(client),
      machine: pct(machine),
      unattributed: pct(unattributed),
    },
    nodesMsPerMsg:
      a !== undefined && b !== undefined && delivered > 0
        ? Math.round(((a + b) / delivered) * 1e6) / 1e3
        : null,
  };
}

/**
 * Runs warm-up, latency and throughput phases between a sender on `senderUrl` and `receivers` users on
 * `receiverUrl`, messages addressed to node id `to`. Returns plain numbers (JSON-ready).
 * `onPhase(phase, 'start' | 'end')`, if given, is called as each phase ('warmup', 'latency', 'throughput')
 * starts sending and once its last message settled (before the drain); awaited, so keep it short.
 * @param {object} run
 * @param {string} run.senderUrl
 * @param {string} run.receiverUrl
 * @param {string} run.to
 * @param {number} [run.receivers]
 * @param {{ count: number, window: number, maxMs: number }} [run.warmup]
 * @param {{ count: number, maxMs: number }} [run.latency]
 * @param {{ count: number, window: number, maxMs: number }} [run.throughput]
 * @param {number} [run.messageTimeoutMs]
 * @param {number} [run.padBytes]
 * @param {() => NodesCpu} [run.cpuSeconds]
 * @param {(line: string) => void} [run.log]
 * @param {OnPhase} [run.onPhase]
 */
export async function runFanout({
  senderUrl,
  receiverUrl,
  to,
  receivers = 10,
  warmup = { count: 1000, window: 50, maxMs: 5_000 },
  latency = { count: 1000, maxMs: 10_000 },
  throughput = { count: 10000, window: 100, maxMs: 15_000 },
  messageTimeoutMs = 5_000,
  padBytes = 0,
  cpuSeconds,
  log = () => {},
  onPhase = () => {},
}) {
  const loadBefore = loadAverage1m();
  const users = await connectUsers(receiverUrl, receivers);
  let sender;
  try {
    sender = await connectUser(senderUrl);
  } catch (error) {
    disconnectAll(users);
    throw error;
  }

  /** @type {Map<string, PhaseTracker>} */
  const trackers = new Map();
  /** @param {string} tag */
  const track = (tag) => {
    const tracker = new PhaseTracker(tag, receivers);
    trackers.set(tag, tracker);
    return tracker;
  };
  let strays = 0; // messages on B that are not the bench's (another user, or a malformed echo)
  users.forEach((socket, user) => {
    socket.on('msg', (data) => {
      const at = performance.now();
      const parsed = parsePayload(field(data, 'msg'));
      const tracker = parsed && trackers.get(parsed.tag);
      if (parsed && tracker) tracker.received(user, parsed.seq, at);
      else strays++;
    });
  });
  const senderErrors = { count: 0, codes: /** @type {Record<string, number>} */ ({}) };
  sender.on('error', (data) => {
    senderErrors.count++;
    const code = String(field(field(data, 'error'), 'code') ?? 'unknown');
    senderErrors.codes[code] = (senderErrors.codes[code] ?? 0) + 1;
  });
  let disconnects = 0;
  for (const socket of [sender, ...users]) socket.on('disconnect', () => disconnects++);

  try {
    // Warm-up.
    log(`warm-up: ${warmup.count} messages, window ${warmup.window}`);
    const w = track('w');
    await onPhase('warmup', 'start');
    await windowed({
      sender,
      to,
      tracker: w,
      count: warmup.count,
      window: warmup.window,
      messageTimeoutMs,
      phaseTimeoutMs: warmup.maxMs,
      padBytes,
    });
    await onPhase('warmup', 'end');
    await drain(w);

    // Latency: one message at a time.
    log(`latency: ${latency.count} sequential messages`);
    const l = track('l');
    await onPhase('latency', 'start');
    const latencyRun = await windowed({
      sender,
      to,
      tracker: l,
      count: latency.count,
      window: 1,
      messageTimeoutMs,
      phaseTimeoutMs: latency.maxMs,
      padBytes,
    });
    await onPhase('latency', 'end');
    await drain(l);

    // Throughput: bounded window.
    log(`throughput: ${throughput.count} messages, window ${throughput.window}`);
    const t = track('t');
    await onPhase('throughput', 'start');
    const cpuBefore = cpuSnapshot(cpuSeconds);
    const throughputRun = await windowed({
      sender,
      to,
      tracker: t,
      count: throughput.count,
      window: throughput.window,
      messageTimeoutMs,
      phaseTimeoutMs: throughput.maxMs,
      padBytes,
    });
    const cpuAfter = cpuSnapshot(cpuSeconds);
    await onPhase('throughput', 'end');
    await drain(t);

    const seconds = (throughputRun.endedAt - throughputRun.startedAt) / 1000;
    const tDelivery = t.delivery();
    // Throughput counts what was complete when the phase ended, not copies that straggled in while draining.
    let inPhase = 0;
    for (const entry of t.messages.values())
      if (entry.doneAt !== undefined && entry.doneAt <= throughputRun.endedAt) inPhase++;
    return {
      receivers,
      warmup: { count: warmup.count, window: warmup.window, delivery: w.delivery() },
      latency: {
        count: latency.count,
        stoppedEarly: latencyRun.stoppedEarly,
        timedOut: latencyRun.timedOut,
        ms: summarize(latencies(l)),
        delivery: l.delivery(),
      },
      throughput: {
        count: throughput.count,
        window: throughput.window,
        stoppedEarly: throughputRun.stoppedEarly,
        timedOut: throughputRun.timedOut,
        seconds: Math.round(seconds * 1000) / 1000,
        deliveredInPhase: inPhase,
        msgsPerSec: seconds > 0 ? Math.round((inPhase / seconds) * 10) / 10 : null,
        copiesPerSec: seconds > 0 ? Math.round(((inPhase * receivers) / seconds) * 10) / 10 : null,
        ms: summarize(latencies(t)),
        delivery: tDelivery,
        cpu: cpuUse(cpuBefore, cpuAfter, seconds, inPhase),
      },
      loadAverage1m: { before: loadBefore, after: loadAverage1m() },
      strays,
      senderErrors,
      disconnects,
    };
  } finally {
    disconnectAll([sender, ...users]);
  }
}

/**
 * `runFanout` from a started pair's node A to its node B, with the bench's fan-out options (and `onPhase`).
 * @param {FanoutPair} pair
 * @param {BenchOptions} options
 * @param {(line: string) => void} log
 * @param {{ onPhase?: OnPhase | undefined }} [hooks]
 */
export function runFanoutOnPair(pair, options, log, { onPhase } = {}) {
  return runFanout({
    senderUrl: pair.a.url,
    receiverUrl: pair.b.url,
    to: pair.b.id,
    receivers: options.receivers,
    warmup: { count: options.warmup, window: Math.min(50, options.window), maxMs: options.warmupMaxMs },
    latency: { count: options.latency, maxMs: options.latencyMaxMs },
    throughput: { count: options.messages, window: options.window, maxMs: options.throughputMaxMs },
    messageTimeoutMs: options.messageTimeoutMs,
    padBytes: options.padBytes,
    cpuSeconds: pair.cpuSeconds,
    log,
    onPhase,
  });
}

/**
 * The longest `runFanoutOnPair` may take with the bench's options: its phase limits, plus a message timeout and
 * a drain after each phase.
 * @param {BenchOptions} options
 */
export function fanoutBudgetMs(options) {
  return (
    options.warmupMaxMs +
    options.latencyMaxMs +
    options.throughputMaxMs +
    3 * (options.messageTimeoutMs + 2_000)
  );
}

/** @typedef {Awaited<ReturnType<typeof runFanout>>} FanoutRun what one run of the fan-out measured */
/** @typedef {ReturnType<typeof summarizeFanoutRounds>} FanoutSummary the fan-out's numbers over rounds */

/**
 * Medians of the headline numbers over the rounds that ran; delivery problems summed over all of them.
 * @param {readonly (FanoutRun | Failed)[]} rounds
 */
export function summarizeFanoutRounds(rounds) {
  const good = rounds.filter(ran);
  const first = rounds[0];
  if (good.length === 0) return { error: (first && !ran(first) ? first.error : undefined) ?? 'no round ran' };
  /** @param {(r: FanoutRun) => number | null | undefined} f */
  const med = (f) => median(good.map(f).filter((v) => typeof v === 'number'));
  /** @param {(r: FanoutRun) => number | undefined} f */
  const sum = (f) => good.reduce((n, r) => n + (f(r) ?? 0), 0);
  /** @param {keyof FanoutRun['throughput']['cpu']['percent']} k */
  const cpu = (k) => med((r) => r.throughput.cpu.percent[k]);
  return {
    rounds: good.length,
    failedRounds: rounds.length - good.length,
    latency: {
      p50: med((r) => r.latency.ms.p50),
      p99: med((r) => r.latency.ms.p99),
      mean: med((r) => r.latency.ms.mean),
      max: Math.max(...good.map((r) => r.latency.ms.max ?? 0)),
      sent: sum((r) => r.latency.delivery.sent),
      delivered: sum((r) => r.latency.delivery.delivered),
      timedOut: sum((r) => r.latency.timedOut),
      lost: sum((r) => r.latency.delivery.lost),
      duplicated: sum((r) => r.latency.delivery.duplicated),
    },
    throughput: {
      msgsPerSec: med((r) => r.throughput.msgsPerSec),
      perRound: good.map((r) => r.throughput.msgsPerSec),
      copiesPerSec: med((r) => r.throughput.copiesPerSec),
      loadedP50: med((r) => r.throughput.ms.p50),
      loadedP99: med((r) => r.throughput.ms.p99),
      seconds: med((r) => r.throughput.seconds),
      sent: sum((r) => r.throughput.delivery.sent),
      delivered: sum((r) => r.throughput.delivery.delivered),
      lost: sum((r) => r.throughput.delivery.lost),
      lostCopies: sum((r) => r.throughput.delivery.lostCopies),
      duplicated: sum((r) => r.throughput.delivery.duplicated),
      duplicateCopies: sum((r) => r.throughput.delivery.duplicateCopies),
      unknown: sum((r) => r.throughput.delivery.unknown),
      stoppedEarlyRounds: good.filter((r) => r.throughput.stoppedEarly).length,
      cpuPercent: { a: cpu('a'), b: cpu('b'), client: cpu('client'), unattributed: cpu('unattributed') },
      nodesCpuMsPerMsg: med((r) => r.throughput.cpu.nodesMsPerMsg),
    },
    warmupLost: sum((r) => r.warmup.delivery.lost),
    warmupDuplicated: sum((r) => r.warmup.delivery.duplicated),
    strays: sum((r) => r.strays),
    senderErrors: sum((r) => r.senderErrors.count),
    senderErrorCodes: good.reduce(
      (codes, r) => {
        for (const [code, n] of Object.entries(r.senderErrors.codes)) codes[code] = (codes[code] ?? 0) + n;
        return codes;
      },
      /** @type {Record<string, number>} */ ({}),
    ),
    disconnects: sum((r) => r.disconnects),
  };
}

/** The 1-minute load average, to 2 decimals. */
function loadAverage1m() {
  return Math.round((loadavg()[0] ?? 0) * 100) / 100;
}
