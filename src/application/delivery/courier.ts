import {
  BROADCAST,
  type DeliveryStatus,
  isRetryableStatus,
  type OutboxEntry,
  retryDelay,
  type StatusUpdate,
} from '../../domain/delivery.js';
import type { ChatMessage } from '../../domain/message.js';
import type { NodeRecord } from '../../domain/node-record.js';
import type { PeerRegistry } from '../../domain/peer-registry.js';
import { PeerCallFailed } from '../errors.js';
import type { Clock } from '../ports/clock.js';
import type { MessageStore } from '../ports/message-store.js';
import type { BatchItemResult, PeerClient } from '../ports/peer-client.js';
import { DEFAULT_DELIVERY_SETTINGS, type DeliverySettings } from './settings.js';

export interface CourierDeps {
  readonly registry: PeerRegistry;
  readonly peers: PeerClient;
  readonly store: MessageStore;
  readonly clock: Clock;
  /** Uniform in [0, 1): retry jitter (seeded in tests). */
  readonly random?: () => number;
  /** Told when a message its users sent settles after they were acknowledged (`queued` → final). */
  readonly onStatus: (update: StatusUpdate) => void;
  /** Told of an unexpected failure (a bug or a storage failure, not a peer's: those are outcomes). */
  readonly onError?: (error: unknown) => void;
}

/** Why a destination refused a message for good: its error code and sentence, and its HTTP status. */
export type Refusal = { readonly code: string; readonly message: string; readonly status: number };

/** What the sender of a message is acknowledged with, per destination. */
export type FirstOutcome =
  | { readonly status: 'delivered' | 'queued' }
  | { readonly status: 'failed'; readonly error: Refusal };

/** A message for one destination, in memory beside its outbox row. */
interface Parcel {
  readonly entry: OutboxEntry;
  readonly bytes: number;
  /** The sender still waiting for its first outcome; cleared once answered. */
  answer: ((outcome: FirstOutcome) => void) | undefined;
  inFlight: boolean;
}

/** The messages for one destination, sent strictly in order, one call at a time. */
interface Lane {
  readonly node: string;
  readonly parcels: Parcel[];
  failures: number;
  retryAt: number;
  running: boolean;
  /** The peer has no `POST /msgs` (an older meshchat): one message per call. */
  noBatch: boolean;
  wake: (() => void) | undefined;
}

/** How a message this node's users sent stands over all its destinations (one, or every node for a broadcast). */
interface Tracked {
  open: number;
  worst: DeliveryStatus;
}

const SEVERITY: Record<DeliveryStatus, number> = { queued: 0, delivered: 1, expired: 2, failed: 3 };

/**
 * Delivers the outbox: every message is written to the store before the first attempt, then sent to its
 * destination in order, one call at a time per destination (several messages in one `POST /msgs` to a meshchat
 * node, one `PUT /msg` to a plain node). A failed call is retried with exponential backoff and jitter; the
 * backoff restarts as soon as the registry sees the destination alive. A message is given up as `expired` when
 * its time to live runs out, or as `failed` when the destination refuses it for good (a 4xx that retrying
 * cannot change). Settled messages leave the store; a restart resumes whatever was still pending.
 */
export class Courier {
  readonly settings: DeliverySettings;
  readonly #lanes = new Map<string, Lane>();
  readonly #tracked = new Map<string, Tracked>();
  readonly #random: () => number;
  #started = false;
  #stopped = false;
  #unsubscribe: (() => void) | undefined;

  constructor(
    private readonly deps: CourierDeps,
    settings: Partial<DeliverySettings> = {},
  ) {
    this.settings = { ...DEFAULT_DELIVERY_SETTINGS, ...settings };
    this.#random = deps.random ?? Math.random;
  }

  /** Resumes the stored outbox and starts watching for expiry and for destinations coming back. */
  start(): void {
    if (this.#started || this.#stopped) return;
    this.#started = true;
    // Messages sent before the start (a relay that came in while joining) are in lanes already.
    const inLanes = new Set([...this.#lanes.values()].flatMap((lane) => lane.parcels.map((p) => p.entry.key)));
    for (const entry of this.deps.store.pending()) {
      if (inLanes.has(entry.key)) continue;
      if (entry.notify) this.#track(entry.message.id, 1);
      this.#add(entry, undefined);
    }
    this.#unsubscribe = this.deps.registry.onChange((change) => {
      if (change.kind !== 'removed' && change.node.state === 'alive') this.#seenAlive(change.node.id);
    });
    void this.#expiryLoop();
  }

  /** Stops sending; calls in flight end on their own deadlines. What is pending stays in the store. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#unsubscribe?.();
    for (const lane of this.#lanes.values()) {
      this.#answerQueued(lane);
      lane.wake?.();
    }
  }

  /** Messages waiting for delivery, over every destination. */
  get depth(): number {
    let depth = 0;
    for (const lane of this.#lanes.values()) depth += lane.parcels.length;
    return depth;
  }

  /**
   * Stores `message` for each of `targets`, then waits for the first attempts at most `ackWaitMs`. With
   * `notify`, this node's users are told later how each queued copy settled; with `outgoing` as well, the
   * message enters history as sent by them. Rejects only when the store cannot keep the message.
   */
  async send(
    message: ChatMessage,
    targets: readonly NodeRecord[],
    options: { readonly notify: boolean; readonly outgoing?: boolean },
  ): Promise<FirstOutcome[]> {
    const { store, clock } = this.deps;
    const expiresAt = clock.now() + this.settings.ttlMs;
    const entries = await store.enqueue(
      targets.map((t) => ({ node: t.id, url: t.url, message, expiresAt, notify: options.notify })),
      options.outgoing ? { outgoing: message } : undefined,
    );
    if (options.notify) this.#track(message.id, entries.length);
    const outcomes: (FirstOutcome | undefined)[] = entries.map(() => undefined);
    let waiting = entries.length;
    let allAnswered = () => {};
    const answered = new Promise<void>((resolve) => {
      allAnswered = resolve;
    });
    const parcels = entries.map((entry, i) =>
      this.#add(entry, (outcome) => {
        outcomes[i] = outcome;
        if (--waiting === 0) allAnswered();
      }),
    );
    if (waiting > 0) await Promise.race([answered, clock.sleep(this.settings.ackWaitMs)]);
    return parcels.map((parcel, i) => {
      // Still in flight after the wait: the sender hears `queued` now and the rest as a status event.
      parcel.answer = undefined;
      return outcomes[i] ?? { status: 'queued' };
    });
  }

  #add(entry: OutboxEntry, answer: Parcel['answer']): Parcel {
    const now = this.deps.clock.now();
    let lane = this.#lanes.get(entry.node);
    if (!lane) {
      lane = { node: entry.node, parcels: [], failures: 0, retryAt: 0, running: false, noBatch: false, wake: undefined };
      // A node found dead is not tried at once: the first try waits as after one failure.
      if (!this.deps.registry.get(entry.node)) {
        lane.failures = 1;
        lane.retryAt = now + retryDelay(1, this.#backoff, this.#random);
      }
      this.#lanes.set(entry.node, lane);
    }
    const parcel: Parcel = { entry, bytes: JSON.stringify(entry.message).length, answer, inFlight: false };
    lane.parcels.push(parcel);
    if (lane.retryAt > now) this.#answer(parcel, { status: 'queued' });
    void this.#run(lane);
    return parcel;
  }

  get #backoff() {
    return { baseMs: this.settings.retryBaseMs, maxMs: this.settings.retryMaxMs };
  }

  async #run(lane: Lane): Promise<void> {
    if (lane.running || this.#stopped) return;
    lane.running = true;
    try {
      while (!this.#stopped) {
        const now = this.deps.clock.now();
        this.#expire(lane, now);
        if (lane.parcels.length === 0) break;
        if (lane.retryAt > now) {
          this.#answerQueued(lane);
          await this.#pause(lane, lane.retryAt - now);
          continue;
        }
        await this.#attempt(lane);
      }
    } catch (error) {
      this.deps.onError?.(error);
    } finally {
      lane.running = false;
      if (lane.parcels.length === 0 && this.#lanes.get(lane.node) === lane) this.#lanes.delete(lane.node);
    }
  }

  #pause(lane: Lane, ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      lane.wake = resolve;
      void this.deps.clock.sleep(ms).then(resolve);
    }).finally(() => {
      lane.wake = undefined;
    });
  }

  /** One call to the destination with the messages at the head of its lane. */
  async #attempt(lane: Lane): Promise<void> {
    const batch = this.#take(lane);
    const head = batch[0] as Parcel;
    const { registry, peers } = this.deps;
    const record = registry.get(lane.node) ?? registry.tombstone(lane.node);
    const url = record?.url ?? head.entry.url;
    for (const parcel of batch) parcel.inFlight = true;
    let results: BatchItemResult[];
    try {
      if (batch.length > 1) {
        results = await peers.sendMessages(url, batch.map((p) => p.entry.message));
      } else {
        // A plain node takes only its own id as `to`: its share of a broadcast is addressed to it.
        const { message } = head.entry;
        const plain = record?.incarnation === undefined && message.to === BROADCAST;
        await peers.sendMessage(url, plain ? { ...message, to: lane.node } : message);
        results = [{ ok: true }];
      }
    } catch (error) {
      for (const parcel of batch) parcel.inFlight = false;
      if (!(error instanceof PeerCallFailed)) throw error;
      if (batch.length > 1 && error.code === 'peer_rejected' && !isRetryableStatus(error.status)) {
        // No `POST /msgs` there, or a batch it would not take: one message per call from now on.
        lane.noBatch = true;
        return;
      }
      if (error.code === 'peer_rejected' && !isRetryableStatus(error.status)) {
        const refusal = { code: error.peerCode ?? error.code, message: error.message, status: error.status ?? 400 };
        this.#settle(lane, head, 'failed', refusal);
        return;
      }
      this.#failed(lane);
      return;
    }
    for (const [i, parcel] of batch.entries()) {
      parcel.inFlight = false;
      const result = results[i];
      if (!result || (!result.ok && isRetryableStatus(result.status))) {
        // Order is kept: this one and everything after it wait for the retry.
        for (const rest of batch.slice(i)) rest.inFlight = false;
        this.#failed(lane);
        return;
      }
      if (result.ok) this.#settle(lane, parcel, 'delivered');
      else this.#settle(lane, parcel, 'failed', { code: result.code, message: result.message, status: result.status });
    }
    lane.failures = 0;
    lane.retryAt = 0;
  }

  /** The head of the lane: one message, or for a meshchat destination as many as fit in one batch. */
  #take(lane: Lane): Parcel[] {
    const record = this.deps.registry.get(lane.node) ?? this.deps.registry.tombstone(lane.node);
    const [head, ...rest] = lane.parcels as [Parcel, ...Parcel[]];
    const batch = [head];
    if (lane.noBatch || record?.incarnation === undefined) return batch;
    let bytes = head.bytes;
    for (const parcel of rest) {
      if (batch.length >= this.settings.batchMaxMessages || bytes + parcel.bytes > this.settings.batchMaxBytes) break;
      batch.push(parcel);
      bytes += parcel.bytes;
    }
    return batch;
  }

  #failed(lane: Lane): void {
    lane.failures++;
    lane.retryAt = this.deps.clock.now() + retryDelay(lane.failures, this.#backoff, this.#random);
    this.#answerQueued(lane);
  }

  /** The destination is up again: what waits for it goes now, not when the backoff says. */
  #seenAlive(node: string): void {
    const lane = this.#lanes.get(node);
    if (!lane || lane.failures === 0) return;
    lane.failures = 0;
    lane.retryAt = 0;
    lane.wake?.();
  }

  #expire(lane: Lane, now: number): void {
    for (const parcel of [...lane.parcels]) {
      if (!parcel.inFlight && parcel.entry.expiresAt <= now) {
        this.#settle(lane, parcel, 'expired', {
          code: 'expired',
          message: `Node "${lane.node}" did not accept the message before its time to live ran out.`,
          status: 410,
        });
      }
    }
  }

  async #expiryLoop(): Promise<void> {
    while (!this.#stopped) {
      await this.deps.clock.sleep(this.settings.expiryCheckMs);
      const now = this.deps.clock.now();
      for (const lane of this.#lanes.values()) this.#expire(lane, now);
    }
  }

  #answer(parcel: Parcel, outcome: FirstOutcome): boolean {
    const answer = parcel.answer;
    if (!answer) return false;
    parcel.answer = undefined;
    answer(outcome);
    return true;
  }

  #answerQueued(lane: Lane): void {
    for (const parcel of lane.parcels) this.#answer(parcel, { status: 'queued' });
  }

  /** Takes a message out of the outbox for good and tells whoever must know. */
  #settle(lane: Lane, parcel: Parcel, status: Exclude<DeliveryStatus, 'queued'>, error?: Refusal): void {
    const index = lane.parcels.indexOf(parcel);
    if (index >= 0) lane.parcels.splice(index, 1);
    const { entry } = parcel;
    this.deps.store.settle([entry.key]).catch((e: unknown) => this.deps.onError?.(e));
    // The sender's acknowledgement tells a first-attempt outcome; a broadcast's refusals also come as events,
    // since its acknowledgement is one word for every node. Expiry is always an event.
    let acknowledged = false;
    if (status === 'expired') this.#answer(parcel, { status: 'queued' });
    else {
      acknowledged =
        this.#answer(parcel, status === 'failed' ? { status, error: error as Refusal } : { status }) &&
        (status === 'delivered' || entry.message.to !== BROADCAST);
    }
    if (!entry.notify) return;
    const update: StatusUpdate = {
      id: entry.message.id,
      to: entry.message.to,
      node: entry.node,
      status,
      ...(error ? { error: { code: error.code, message: error.message } } : {}),
    };
    const tracked = this.#tracked.get(entry.message.id);
    if (tracked) {
      tracked.open--;
      if (SEVERITY[status] > SEVERITY[tracked.worst]) tracked.worst = status;
    }
    if (tracked && tracked.open > 0) {
      if (!acknowledged) this.deps.onStatus(update);
      return;
    }
    this.#tracked.delete(entry.message.id);
    this.deps.store
      .setStatus(entry.message.id, tracked?.worst ?? status)
      .then((kept) => {
        if (!acknowledged) this.deps.onStatus(kept ? { ...update, seq: kept.seq } : update);
      })
      .catch((e: unknown) => this.deps.onError?.(e));
  }

  #track(id: string, copies: number): void {
    const tracked = this.#tracked.get(id);
    if (tracked) tracked.open += copies;
    else this.#tracked.set(id, { open: copies, worst: 'delivered' });
  }
}
