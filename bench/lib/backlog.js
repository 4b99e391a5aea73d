// Backlog drain: node B crashes (SIGKILL); one socket.io user on node A sends `count` messages to B, each of
// which must be acknowledged `queued` (kept in A's outbox); then B is started again with the same id, port and
// data dir, and one user connects to it as soon as it listens. Measured:
//   queue      how fast A takes the messages while B is down (acks/s: the outbox write, no delivery);
//   restart    B's process start until it prints that it listens (it has joined A by then), and until A's user
//              is pushed a `nodes` list with B alive again: the same registry change wakes A's outbox lane;
//   drain      from A seeing B alive until B's user holds all `count` messages: `count / that` is the drain rate.
// Checked: every message reaches B's user exactly once and in the order sent, and A's user is told `delivered`
// for each. Messages that reached B before its user connected come in the `history` push (B is restarted with
// `--history` at least `count`, so none falls out); one seen both in history and live is not a duplicate (the
// protocol says clients de-duplicate by id) and is counted as `overlap`.
import { performance } from 'node:perf_hooks';
import { parsePayload, payload } from './fanout.js';
import { field } from './field.js';
import { connectUser, disconnectAll } from './users.js';

/** @import { MeshchatPair } from '../systems/meshchat.js' */

const TAG = 'd';
const sleep = (/** @type {number} */ ms) => new Promise((resolve) => setTimeout(resolve, ms));
const ms = (/** @type {number | undefined} */ v) => (v === undefined ? null : Math.round(v * 10) / 10);

/**
 * Polls `test` every `intervalMs` until it returns something truthy (resolved with it) or `maxMs` passed.
 * @template T
 * @param {() => T} test
 * @param {{ maxMs: number, intervalMs?: number }} options
 */
async function waitFor(test, { maxMs, intervalMs = 5 }) {
  const until = performance.now() + maxMs;
  for (;;) {
    const value = test();
    if (value || performance.now() >= until) return value;
    await sleep(intervalMs);
  }
}

/** @typedef {'live' | 'history'} Via how a copy reached B's user */

/** What B's user received of the backlog, by message id and by sequence number. */
class Receipts {
  /** @param {number} count */
  constructor(count) {
    this.count = count;
    /** @type {Map<unknown, { seq: number, live: number, history: number, firstVia: Via }>} */
    this.byId = new Map(); // id -> { seq, live, history }
    /** @type {Map<number, number>} */
    this.idsBySeq = new Map(); // seq -> number of distinct ids carrying it
    /** @type {number[]} */
    this.order = []; // seqs in the order their first copy arrived
    /** @type {number | undefined} */
    this.firstAt = undefined;
    /** @type {number | undefined} */
    this.completeAt = undefined;
    /** @type {number | undefined} */
    this.lastAt = undefined;
    this.unknown = 0; // backlog-tagged copies with a seq never sent
    this.others = 0; // copies of anything else (older history: the fan-out phases)
  }

  /**
   * @param {unknown} entry a message as the node pushed it
   * @param {Via} via
   * @param {number} at
   */
  add(entry, via, at) {
    const parsed = parsePayload(field(entry, 'msg'));
    if (!parsed || parsed.tag !== TAG) {
      this.others++;
      return;
    }
    const { seq } = parsed;
    if (seq < 0 || seq >= this.count) {
      this.unknown++;
      return;
    }
    this.lastAt = at;
    const id = field(entry, 'id');
    let record = this.byId.get(id);
    if (!record) {
      record = { seq, live: 0, history: 0, firstVia: via };
      this.byId.set(id, record);
      const ids = (this.idsBySeq.get(seq) ?? 0) + 1;
      this.idsBySeq.set(seq, ids);
      if (ids === 1) {
        this.order.push(seq);
        this.firstAt ??= at;
        if (this.order.length === this.count) this.completeAt = at;
      }
    }
    record[via]++;
  }

  delivery() {
    let duplicated = 0; // messages a path delivered more than once, or that came under several ids
    let extraCopies = 0;
    let overlap = 0;
    let viaHistory = 0;
    for (const r of this.byId.values()) {
      const extra = Math.max(0, r.live - 1) + Math.max(0, r.history - 1);
      if (extra > 0) duplicated++;
      extraCopies += extra;
      if (r.live > 0 && r.history > 0) overlap++;
      if (r.firstVia === 'history') viaHistory++;
    }
    for (const ids of this.idsBySeq.values()) {
      if (ids > 1) {
        duplicated++;
        extraCopies += ids - 1;
      }
    }
    let outOfOrder = 0; // copies that came after one with a higher seq
    let highest = -1;
    for (const seq of this.order) {
      if (seq < highest) outOfOrder++;
      else highest = seq;
    }
    return {
      received: this.order.length,
      lost: this.count - this.order.length,
      duplicated,
      extraCopies,
      outOfOrder,
      overlap,
      viaHistory,
      unknown: this.unknown,
    };
  }
}

/**
 * Connects to `url` as soon as something listens there (retrying every 10 ms), up to `maxMs`.
 * @param {string} url
 * @param {{ on: Record<string, (data: unknown) => void>, maxMs: number, gaveUp: () => boolean }} options
 */
async function connectWhenUp(url, { on, maxMs, gaveUp }) {
  const until = performance.now() + maxMs;
  /** @type {unknown} */
  let lastError;
  while (performance.now() < until && !gaveUp()) {
    try {
      return await connectUser(url, {
        on,
        timeoutMs: Math.max(100, Math.min(2_000, until - performance.now())),
      });
    } catch (error) {
      lastError = error;
      await sleep(10);
    }
  }
  const why = lastError instanceof Error ? lastError.message : undefined;
  throw new Error(`no user connection to ${url}: ${why ?? 'gave up'}`);
}

/**
 * Runs the backlog drain on a started pair (process mode, fixed ports). `restartArgs` are added to B's flags
 * when it comes back. Returns plain numbers (JSON-ready); throws only when B cannot be restarted.
 * @param {object} run
 * @param {MeshchatPair} run.pair
 * @param {number} run.count
 * @param {number} [run.window]
 * @param {string[]} [run.restartArgs]
 * @param {number} [run.queueMaxMs]
 * @param {number} [run.restartMaxMs]
 * @param {number} [run.drainMaxMs]
 * @param {number} [run.quietMs]
 * @param {(line: string) => void} [run.log]
 */
export async function runBacklogDrain({
  pair,
  count,
  window = 100,
  restartArgs = [],
  queueMaxMs = 15_000,
  restartMaxMs = 20_000,
  drainMaxMs = 15_000,
  quietMs = 300,
  log = () => {},
}) {
  const bId = pair.b.id;
  const bUrl = pair.b.url;
  /** @type {{ at: number, state: unknown, incarnation: number | undefined }[]} */
  const views = []; // B in the `nodes` lists pushed to A's user
  /** @type {Map<unknown, unknown>} */
  const statuses = new Map(); // message id -> last status pushed to A's user
  const sender = await connectUser(pair.a.url, {
    on: {
      nodes: (list) => {
        /** @type {unknown} */
        const b = Array.isArray(list) ? list.find((n) => field(n, 'id') === bId) : undefined;
        const incarnation = field(b, 'incarnation');
        views.push({
          at: performance.now(),
          state: field(b, 'state'),
          incarnation: typeof incarnation === 'number' ? incarnation : undefined,
        });
      },
      status: (update) => {
        const id = field(update, 'id');
        if (typeof id === 'string' && field(update, 'node') === bId)
          statuses.set(id, field(update, 'status'));
      },
    },
  });
  let receiver;
  try {
    const before = await waitFor(() => views.findLast((v) => v.state === 'alive'), { maxMs: 2_000 });

    // B crashes.
    await pair.kill('b', 'SIGKILL');

    // A's user sends the backlog, at most `window` unacknowledged.
    const acks = {
      queued: 0,
      delivered: 0,
      refused: 0,
      none: 0,
      codes: /** @type {Record<string, number>} */ ({}),
    };
    /** @type {Set<unknown>} */
    const ids = new Set();
    const queueStart = performance.now();
    let lastAckAt = queueStart;
    /** @type {number} */
    const sent = await new Promise((resolve) => {
      const deadline = queueStart + queueMaxMs;
      let next = 0;
      let inFlight = 0;
      const pump = () => {
        while (inFlight < window && next < count && performance.now() < deadline) {
          const seq = next++;
          inFlight++;
          sender
            .timeout(Math.max(1, deadline - performance.now()))
            .emit(
              'msg',
              { to: bId, msg: payload(TAG, seq) },
              (/** @type {Error | null} */ error, /** @type {unknown} */ outcome) => {
                inFlight--;
                lastAckAt = performance.now();
                if (error) acks.none++;
                else if (field(outcome, 'ok') !== true) {
                  acks.refused++;
                  const code = String(field(field(outcome, 'error'), 'code') ?? 'unknown');
                  acks.codes[code] = (acks.codes[code] ?? 0) + 1;
                } else {
                  ids.add(field(outcome, 'id'));
                  if (field(outcome, 'status') === 'queued') acks.queued++;
                  else acks.delivered++;
                }
                pump();
              },
            );
        }
        if (inFlight === 0 && (next >= count || performance.now() >= deadline)) resolve(next);
      };
      pump();
    });
    const queueSeconds = (lastAckAt - queueStart) / 1000;
    log(`backlog: ${acks.queued}/${count} acknowledged queued in ${queueSeconds.toFixed(2)} s; restarting B`);

    // B comes back; its user connects as soon as it listens.
    const receipts = new Receipts(count);
    const restartAt = performance.now();
    /** @type {number | undefined} */
    let readyAt;
    /** @type {unknown} */
    let restartError;
    const restarting = pair.restart('b', { args: restartArgs }).then(
      () => {
        readyAt = performance.now();
      },
      (/** @type {unknown} */ error) => {
        restartError = error;
      },
    );
    let connectedAt;
    try {
      receiver = await connectWhenUp(bUrl, {
        on: {
          history: (/** @type {unknown} */ entries) => {
            const at = performance.now();
            if (Array.isArray(entries)) for (const entry of entries) receipts.add(entry, 'history', at);
          },
          msg: (entry) => receipts.add(entry, 'live', performance.now()),
        },
        maxMs: restartMaxMs,
        gaveUp: () => restartError !== undefined,
      });
      connectedAt = performance.now();
    } catch (error) {
      await restarting;
      throw restartError ?? error;
    }
    await restarting;
    if (restartError) throw restartError;
    const listeningAt = /** @type {number} */ (readyAt); // the restart resolved, so it was set

    // Until B's user has everything and A's user was told `delivered` for everything (or time is up).
    const delivered = () => [...ids].filter((id) => statuses.get(id) === 'delivered').length;
    await waitFor(() => receipts.completeAt !== undefined && delivered() >= ids.size, { maxMs: drainMaxMs });
    const back = views.find(
      (v) =>
        v.at >= restartAt &&
        v.state === 'alive' &&
        (before?.incarnation === undefined ||
          (v.incarnation !== undefined && v.incarnation > before.incarnation)),
    );
    // Late or duplicated copies.
    await waitFor(() => performance.now() - (receipts.lastAt ?? 0) >= quietMs, { maxMs: 2_000 });

    const aliveAt = back?.at;
    const drainFrom = aliveAt ?? listeningAt;
    const drainMs = receipts.completeAt === undefined ? undefined : receipts.completeAt - drainFrom;
    const delivery = receipts.delivery();
    return {
      count,
      sent,
      acks,
      queue: {
        seconds: Math.round(queueSeconds * 1000) / 1000,
        msgsPerSec: queueSeconds > 0 ? Math.round((acks.queued / queueSeconds) * 10) / 10 : null,
      },
      restart: {
        readyMs: ms(listeningAt - restartAt),
        aliveAtAMs: ms(aliveAt === undefined ? undefined : aliveAt - restartAt),
        userConnectedMs: ms(connectedAt - restartAt),
        args: restartArgs,
      },
      drain: {
        from: aliveAt === undefined ? 'ready' : 'alive-at-A',
        firstMs: ms(receipts.firstAt === undefined ? undefined : receipts.firstAt - drainFrom),
        ms: ms(drainMs),
        msgsPerSec:
          drainMs !== undefined && drainMs > 0 ? Math.round((count / drainMs) * 1000 * 10) / 10 : null,
        totalFromRestartMs: ms(
          receipts.completeAt === undefined ? undefined : receipts.completeAt - restartAt,
        ),
      },
      delivery,
      statusDelivered: delivered(),
      otherCopies: receipts.others,
      ok:
        sent === count &&
        acks.queued === count &&
        delivery.lost === 0 &&
        delivery.duplicated === 0 &&
        delivery.outOfOrder === 0 &&
        delivery.unknown === 0,
    };
  } finally {
    disconnectAll(receiver ? [sender, receiver] : [sender]);
  }
}
