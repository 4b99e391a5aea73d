import {
  BROADCAST,
  type DeliveryStatus,
  isRetryableStatus,
  MESSAGE_ID_MEMORY_MS,
  type OutboxEntry,
  retryDelay,
} from '../../domain/delivery.js';
import { isDirect } from '../../domain/direct-message.js';
import type { ChatMessage } from '../../domain/message.js';
import { shownToUsers } from '../../domain/message-signature.js';
import type { NodeRecord } from '../../domain/node-record.js';
import type { PeerRegistry } from '../../domain/peer-registry.js';
import { OutboxFull, PeerCallFailed, StoreClosed } from '../errors.js';
import type { Clock } from '../ports/clock.js';
import type { InternalErrors } from '../ports/internal-errors.js';
import type { MessageStore } from '../ports/message-store.js';
import type { BatchItemResult, PeerClient } from '../ports/peer-client.js';
import type { Telemetry } from '../ports/telemetry.js';
import type { UserPush } from '../ports/user-push.js';
import { AckDeadlines } from './ack-deadlines.js';
import { AdmissionGate, type BusyRefusal } from './admission-gate.js';
import { DeliveryReports } from './delivery-reports.js';
import { DEFAULT_DELIVERY_SETTINGS, type DeliverySettings } from './delivery-settings.js';
import { DirectUnsupported } from './direct-errors.js';
import { type FirstOutcome, Lane, type Parcel, type Refusal } from './lane.js';
import type { MessageSignatures } from './message-signatures.js';
import { outboxRoomRefusal } from './outbox-room.js';

export type { FirstOutcome, Refusal } from './lane.js';

export interface CourierDeps {
  readonly registry: PeerRegistry;
  readonly peers: PeerClient;
  readonly store: MessageStore;
  readonly clock: Clock;
  /** Uniform in [0, 1): retry jitter (seeded in tests). */
  readonly random?: () => number;
  /**
   * This node's users: shown a message they sent once it entered history (every user but the sending
   * connection), then each status update of its copies (delivered, expired, failed).
   */
  readonly users: Pick<UserPush, 'pushMessage' | 'pushStatus'>;
  /** Told of an unexpected failure (a bug or a storage failure, not a peer's: those are outcomes). */
  readonly errors?: InternalErrors;
  /** Told of copies queued and settled (metrics); nobody by default. */
  readonly telemetry?: Telemetry;
  /** Signs each batch this node sends (signed messages), so the receiver checks one signature, not one each. */
  readonly signatures?: MessageSignatures;
}

export interface SendOptions {
  /** This node's users are told how each copy settles (false for messages this node only relays). */
  readonly notify: boolean;
  /** The message enters history as sent by this node's users. */
  readonly outgoing?: boolean;
  /** The user connection it came from, which hears of it through its acknowledgement instead. */
  readonly origin?: string;
  /**
   * A user's new message: refused `DestinationBusy` when a destination that answers has too much waiting
   * (`admitMaxWaiting`, `admitMaxWaitMs`). Relays and broadcasts are bounded by the outbox's bounds only.
   */
  readonly admit?: boolean;
}

/**
 * Delivers the outbox: every message is written to the store before the first attempt, then sent to its
 * destination in order, one call at a time per destination (several messages in one `POST /msgs` to a meshchat
 * node, one `PUT /msg` to a plain node). A failed call is retried with exponential backoff and jitter; the
 * backoff restarts as soon as the registry sees the destination alive. A message is given up as `expired` when
 * its time to live runs out, or as `failed` when the destination refuses it for good (a 4xx that retrying
 * cannot change). Settled messages leave the store; `start` resumes whatever was still pending, and nothing is
 * sent before it (so stored messages keep their place ahead of new ones).
 *
 * Acknowledgements come before status events: a status update for a message is pushed to users only after the
 * `send` that carries it has returned its outcome, and not in the turn it returned (it waits for a zero sleep
 * on the clock). So a caller that answers its sender in the turn `send` resolves, without awaiting anything
 * else, has that answer out before the sender hears of the same message again.
 */
export class Courier {
  readonly settings: DeliverySettings;
  #lanes = new Map<string, Lane>();
  #parcels = new Map<number, Parcel>();
  readonly #random: () => number;
  /** Statuses in history and to users; held for messages whose `send` has not returned yet, or returned this turn. */
  readonly #reports: DeliveryReports;
  #started = false;
  #stopped = false;
  #unsubscribe: (() => void) | undefined;
  /** Each send's wait for its first attempts (`ackWaitMs`), on one timer for all of them. */
  readonly #ackDeadlines: AckDeadlines;
  /** Outbox keys settled in this turn, taken out of the store in one call (`#settle`). */
  #toSettle: number[] = [];
  /** Users' messages at the door: refused while their destination is behind (`AdmissionGate`). */
  readonly #gate: AdmissionGate;

  constructor(
    private readonly deps: CourierDeps,
    settings: Partial<DeliverySettings> = {},
  ) {
    const merged = { ...DEFAULT_DELIVERY_SETTINGS, ...settings };
    // A message retried after receivers forgot its id could be delivered twice.
    this.settings = { ...merged, ttlMs: Math.min(merged.ttlMs, MESSAGE_ID_MEMORY_MS) };
    this.#ackDeadlines = new AckDeadlines(deps.clock, this.settings.ackWaitMs);
    this.#random = deps.random ?? Math.random;
    this.#reports = new DeliveryReports(deps);
    const admission = { maxWaiting: this.settings.admitMaxWaiting, maxWaitMs: this.settings.admitMaxWaitMs };
    this.#gate = new AdmissionGate(admission, deps.clock, (node) => {
      const lane = this.#lanes.get(node);
      return {
        queued: lane?.parcels.length ?? 0,
        oldestAt: lane?.parcels[0]?.since,
        // A node found dead gets a lane that backs off from the start (`#add`).
        backingOff: lane ? lane.failures > 0 : !deps.registry.get(node),
      };
    });
  }

  /** Resumes the stored outbox, then starts sending and watching for expiry and destinations coming back. */
  start(): void {
    if (this.#started || this.#stopped) return;
    this.#started = true;
    const { store, registry } = this.deps;
    const stored = store.pending().filter((entry) => !this.#parcels.has(entry.key));
    const told = new Map(stored.some((e) => e.notify) ? store.history().map((h) => [h.id, h.status]) : []);
    for (const entry of stored) this.#add(entry, undefined, told.get(entry.message.id));
    this.#unsubscribe = registry.onChange((change) => {
      if (change.kind !== 'removed' && change.node.state === 'alive') this.#seenAlive(change.node.id);
    });
    for (const lane of this.#lanes.values()) void this.#run(lane);
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
    return this.#parcels.size;
  }

  /**
   * The `DestinationBusy` refusal a user's new message for `targets` (not a broadcast) would get from `send` with
   * `admit` now, as a plain value, before the message is even made: under overload most sends end here, so a
   * refusal costs no id, no timestamp and no thrown error. Undefined when `send` would take it, or refuse it for
   * another reason first (the node stopping, the outbox full): `send` still says so.
   */
  busyRefusal(targets: readonly NodeRecord[]): BusyRefusal | undefined {
    if (this.#stopped || this.#roomRefusal(false, targets) !== undefined) return undefined;
    return this.#gate.refusal(targets);
  }

  /** Why the outbox has no room for copies for `targets` (`outboxRoomRefusal`), or undefined. */
  #roomRefusal(broadcast: boolean, targets: readonly NodeRecord[]): string | undefined {
    const queuedFor = (node: string): number => this.#lanes.get(node)?.parcels.length ?? 0;
    return outboxRoomRefusal(this.settings, this.#parcels.size, queuedFor, broadcast, targets);
  }

  /**
   * Stores `message` for each of `targets`, then waits for the first attempts at most `ackWaitMs`. Rejects
   * with `StoreClosed` once stopped (nothing is taken), `OutboxFull` when the outbox is at its bounds,
   * `DestinationBusy` when `options.admit` and a destination is behind, or the store's error when it cannot keep
   * the message.
   */
  async send(
    message: ChatMessage,
    targets: readonly NodeRecord[],
    options: SendOptions,
  ): Promise<FirstOutcome[]> {
    if (this.#stopped) throw new StoreClosed();
    const full = this.#roomRefusal(message.to === BROADCAST, targets);
    if (full !== undefined) throw new OutboxFull(full);
    // Once the message is in its lanes (or was not stored), the lanes count it.
    const stored = options.admit && message.to !== BROADCAST ? this.#gate.enter(targets) : () => {};
    try {
      if (!options.notify) return await this.#enqueue(message, targets, options, stored);
      this.#reports.hold(message.id);
      try {
        return await this.#enqueue(message, targets, options, stored);
      } finally {
        this.#reports.releaseSoon(message.id);
      }
    } finally {
      stored();
    }
  }

  async #enqueue(
    message: ChatMessage,
    targets: readonly NodeRecord[],
    options: SendOptions,
    stored: () => void,
  ): Promise<FirstOutcome[]> {
    const { store, clock } = this.deps;
    const expiresAt = clock.now() + this.settings.ttlMs;
    const { entries, outgoing } = await store.enqueue(
      targets.map((t) => ({ node: t.id, url: t.url, message, expiresAt, notify: options.notify })),
      // Outgoing history shows users what they sent: verified when this node signed it (its own message).
      options.outgoing
        ? {
            outgoing: shownToUsers(
              message,
              this.deps.signatures?.signedHere(message) ?? message.sig !== undefined,
            ),
          }
        : undefined,
    );
    stored();
    if (outgoing) this.deps.users.pushMessage(outgoing, options.origin);
    if (entries.length === 0) {
      if (outgoing)
        await this.#reports.tell(
          { id: message.id, to: message.to, node: message.to, status: 'delivered' },
          'delivered',
        );
      return [];
    }
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
    if (waiting > 0) {
      const stop = this.#ackDeadlines.start(allAnswered);
      await answered;
      stop();
    }
    return parcels.map((parcel, i) => {
      // Still in flight after the wait: the sender hears `queued` now and the rest as a status event.
      parcel.answer = undefined;
      const outcome = outcomes[i] ?? { status: 'queued' };
      if (outcome.status === 'queued') this.deps.telemetry?.copyQueued(parcel.entry.node);
      return outcome;
    });
  }

  /** Puts a stored entry in its lane (once: a second add only attaches the waiting sender). */
  #add(entry: OutboxEntry, answer: Parcel['answer'], told?: DeliveryStatus): Parcel {
    const known = this.#parcels.get(entry.key);
    if (known) {
      known.answer ??= answer;
      return known;
    }
    const now = this.deps.clock.now();
    let lane = this.#lanes.get(entry.node);
    if (!lane) {
      const { batchMaxMessages: messages, batchMaxBytes: bytes } = this.settings;
      lane = new Lane(entry.node, { messages, bytes });
      // A node found dead is not tried at once: the first try waits as after one failure.
      if (!this.deps.registry.get(entry.node)) {
        lane.failures = 1;
        lane.retryAt = now + retryDelay(1, this.#backoff, this.#random);
      }
      this.#lanes.set(entry.node, lane);
    }
    const parcel = lane.insert(entry, answer, now);
    this.#parcels.set(entry.key, parcel);
    if (entry.notify) this.#reports.open(entry.message.id, told);
    if (lane.retryAt > now) this.#answer(parcel, { status: 'queued' });
    if (this.#started) void this.#run(lane);
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
        try {
          await this.#attempt(lane);
        } catch (error) {
          // A bug, not a peer's answer: reported, and the lane goes on as after a failed call.
          this.deps.errors?.report(error);
          for (const parcel of lane.parcels) parcel.inFlight = false;
          this.#failed(lane);
        }
      }
    } finally {
      lane.running = false;
      if (lane.parcels.length === 0 && this.#lanes.get(lane.node) === lane) this.#lanes.delete(lane.node);
      if (this.#lanes.size === 0) this.#lanes = new Map(); // kept young, as `#parcels` (`#settle`)
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
    const { registry, peers } = this.deps;
    const record = registry.known(lane.node);
    // Only a meshchat node (its record has an incarnation) gets batches.
    const batch = lane.take(record?.incarnation !== undefined);
    const head = batch[0] as Parcel;
    if (record?.incarnation === undefined && isDirect(head.entry.message)) {
      // The node no longer shows it is a meshchat node (forgotten, or a plain node took its id): a plain node
      // would show a direct message to all its users, so it is never handed one.
      const { code, message } = new DirectUnsupported(lane.node);
      this.#settle(lane, head, 'failed', { code, message, status: 400 });
      return;
    }
    const url = record?.url ?? head.entry.url;
    for (const parcel of batch) parcel.inFlight = true;
    let results: BatchItemResult[];
    try {
      if (batch.length > 1) {
        const messages = batch.map((p) => p.entry.message);
        // Signed only if the call needs it: a peer link authenticated as this node proves the origin itself.
        const { signatures } = this.deps;
        results = await peers.sendMessages(
          url,
          messages,
          signatures?.signs ? { prove: () => signatures.sealBatch(messages) } : {},
        );
      } else {
        // A plain node takes only its own id as `to`: its share of a broadcast is addressed to it.
        const { message } = head.entry;
        const { signatures } = this.deps;
        if (record?.incarnation === undefined && message.to === BROADCAST)
          await peers.sendMessage(url, { ...message, to: lane.node });
        else
          await peers.sendMessage(
            url,
            message,
            signatures?.signs ? { signed: () => signatures.sealAlone(message) } : {},
          );
        results = [{ ok: true }];
      }
    } catch (error) {
      for (const parcel of batch) parcel.inFlight = false;
      if (!(error instanceof PeerCallFailed)) throw error;
      const refused = error.code === 'peer_rejected' && !isRetryableStatus(error.status);
      if (batch.length > 1 && (refused || error.code === 'peer_bad_answer')) {
        // No `POST /msgs` there, or a batch it would not take: one message per call while this backlog lasts.
        lane.noBatch = true;
        return;
      }
      if (refused) {
        const refusal = {
          code: error.peerCode ?? error.code,
          message: error.message,
          status: error.status ?? 400,
        };
        this.#settle(lane, head, 'failed', refusal);
        return;
      }
      if (batch.length > 1 && error.code === 'peer_timeout') lane.batchLimit = Math.max(1, batch.length >> 1);
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
      else
        this.#settle(lane, parcel, 'failed', {
          code: result.code,
          message: result.message,
          status: result.status,
        });
    }
    lane.failures = 0;
    lane.retryAt = 0;
    lane.batchLimit = Math.min(this.settings.batchMaxMessages, lane.batchLimit * 2);
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
    for (const parcel of lane.expiredAt(now)) {
      this.#settle(lane, parcel, 'expired', {
        code: 'expired',
        message: `Node "${lane.node}" did not accept the message before its time to live ran out.`,
        status: 410,
      });
    }
  }

  async #expiryLoop(): Promise<void> {
    while (!this.#stopped) {
      await this.deps.clock.sleep(this.settings.expiryCheckMs);
      const now = this.deps.clock.now();
      for (const lane of this.#lanes.values()) this.#expire(lane, now);
    }
  }

  #answer(parcel: Parcel, outcome: FirstOutcome): void {
    const answer = parcel.answer;
    parcel.answer = undefined;
    answer?.(outcome);
  }

  #answerQueued(lane: Lane): void {
    for (const parcel of lane.parcels) this.#answer(parcel, { status: 'queued' });
  }

  /** Takes a message out of the outbox for good and tells whoever must know. */
  #settle(lane: Lane, parcel: Parcel, status: Exclude<DeliveryStatus, 'queued'>, error?: Refusal): void {
    lane.remove(parcel);
    const { entry } = parcel;
    this.#parcels.delete(entry.key);
    // A long-lived Map's rehash leaves its old table in V8's old space pointing at what it held, which scavenges
    // then keep and promote: a new Map starts young (docs/benchmarks.md, "What lives past a scavenge").
    if (this.#parcels.size === 0) this.#parcels = new Map();
    // A batch's answers settle many keys in one turn: one store call for them all, before the turn ends.
    if (this.#toSettle.push(entry.key) === 1) {
      queueMicrotask(() => {
        const keys = this.#toSettle;
        this.#toSettle = [];
        this.deps.store.settle(keys).catch((e: unknown) => this.deps.errors?.report(e));
      });
    }
    this.deps.telemetry?.copySettled(entry.node, status);
    this.#answer(
      parcel,
      status === 'failed'
        ? { status, error: error as Refusal }
        : { status: status === 'expired' ? 'queued' : status },
    );
    if (entry.notify) this.#reports.settled(entry, status, error);
  }
}
