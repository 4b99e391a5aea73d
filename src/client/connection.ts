import { type Backoff, DEFAULT_BACKOFF, reconnectDelay } from './backoff.js';
import type { TimerHandle, Timers } from './timers.js';
import type { InboundFrame, OutgoingMessage, Transport, TransportClose } from './transport.js';

/**
 * - `idle`: not started; `connecting`: an attempt is under way; `open`: connected;
 * - `waiting`: the connection dropped or an attempt failed, the next one is due at `retryAt`;
 * - `offline`: the same while the host says it has no network (it retries when told the network is back);
 * - `closed`: stopped, or the node refused the connection (`refused`), so nothing is retried.
 */
export type ConnState = 'idle' | 'connecting' | 'open' | 'waiting' | 'offline' | 'closed';

export interface ConnectionStatus {
  readonly state: ConnState;
  /** Failed attempts since the connection was last open. */
  readonly failures: number;
  /** When the next attempt starts (timer clock milliseconds), while `waiting` or `offline`. */
  readonly retryAt?: number;
  /** Why the last connection or attempt ended. */
  readonly lastError?: string;
  /** The node turned the connection away (state `closed`). */
  readonly refused?: boolean;
  /** The refusal was of the login token: connecting again without it (anonymously) may work. */
  readonly loginRefused?: boolean;
  /** True on an `open` that is not the first one. */
  readonly reconnected?: boolean;
}

export interface ConnectionSettings {
  readonly backoff: Backoff;
  /** An attempt not open after this long is given up and retried (default 10 s). */
  readonly attemptTimeoutMs: number;
}

export const DEFAULT_ATTEMPT_TIMEOUT_MS = 10_000;

export interface ConnectionDeps {
  readonly transport: Transport;
  readonly timers: Timers;
  readonly random: () => number;
  /** The history cursor to ask from on each attempt. */
  readonly since: () => number | undefined;
  readonly onStatus: (status: ConnectionStatus) => void;
  readonly onFrame: (frame: InboundFrame) => void;
}

/**
 * One connection to a node, kept open: after a drop or a failed attempt it waits (backoff capped at
 * `backoff.maxMs`) and dials again, each time asking for the history after the current cursor.
 */
export class Connection {
  #status: ConnectionStatus = { state: 'idle', failures: 0 };
  #attempt = 0;
  #opened = false;
  #online = true;
  #retry: TimerHandle | undefined;
  #deadline: TimerHandle | undefined;
  readonly #settings: ConnectionSettings;

  constructor(
    private readonly deps: ConnectionDeps,
    settings: Partial<ConnectionSettings> = {},
  ) {
    this.#settings = {
      backoff: settings.backoff ?? DEFAULT_BACKOFF,
      attemptTimeoutMs: settings.attemptTimeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS,
    };
  }

  get status(): ConnectionStatus {
    return this.#status;
  }

  /** Starts connecting (again, after `stop` or a refusal). No effect while connecting or connected. */
  start(): void {
    const { state } = this.#status;
    if (state === 'connecting' || state === 'open') return;
    this.#dial();
  }

  /** Closes the connection and stops retrying. */
  stop(): void {
    this.#clearTimers();
    this.#attempt++;
    this.deps.transport.close();
    if (this.#status.state !== 'closed') this.#set({ state: 'closed', failures: this.#status.failures });
  }

  /** Skips the wait: dials now (a person pressed "reconnect", or the network came back). */
  reconnectNow(): void {
    const { state } = this.#status;
    if (state === 'waiting' || state === 'offline') this.#dial();
  }

  /** The host's word on its network (a browser's `online`/`offline` events). */
  setOnline(online: boolean): void {
    this.#online = online;
    const { state } = this.#status;
    if (online && state === 'offline') this.#dial();
    else if (!online && state === 'waiting') this.#set({ ...this.#status, state: 'offline' });
  }

  send(message: OutgoingMessage, ref: string): boolean {
    return this.#status.state === 'open' && this.deps.transport.send(message, ref);
  }

  #dial(): void {
    this.#clearTimers();
    const attempt = ++this.#attempt;
    const current = () => attempt === this.#attempt;
    this.#set({ state: 'connecting', failures: this.#status.failures, lastError: this.#status.lastError });
    this.#deadline = this.deps.timers.setTimeout(() => {
      if (!current()) return;
      this.#attempt++;
      this.deps.transport.close();
      const seconds = Math.round(this.#settings.attemptTimeoutMs / 100) / 10;
      this.#failed(`no answer within ${seconds} s`);
    }, this.#settings.attemptTimeoutMs);
    this.deps.transport.open(this.deps.since(), {
      onOpen: () => {
        if (!current()) return;
        this.#clearTimers();
        const reconnected = this.#opened;
        this.#opened = true;
        this.#set({ state: 'open', failures: 0, reconnected });
      },
      onFrame: (frame) => {
        if (current() && this.#status.state === 'open') this.deps.onFrame(frame);
      },
      onClose: (close) => {
        if (!current()) return;
        this.#attempt++;
        this.#closed(close);
      },
    });
  }

  #closed(close: TransportClose): void {
    if (close.refused) {
      this.#clearTimers();
      this.#set({
        state: 'closed',
        failures: this.#status.failures + 1,
        lastError: close.reason,
        refused: true,
        ...(close.loginRefused ? { loginRefused: true } : {}),
      });
      return;
    }
    this.#failed(close.reason);
  }

  #failed(reason: string): void {
    this.#clearTimers();
    const failures = this.#status.failures + 1;
    const delay = reconnectDelay(failures, this.#settings.backoff, this.deps.random);
    const retryAt = this.deps.timers.now() + delay;
    this.#retry = this.deps.timers.setTimeout(() => this.#dial(), delay);
    this.#set({ state: this.#online ? 'waiting' : 'offline', failures, retryAt, lastError: reason });
  }

  #clearTimers(): void {
    if (this.#retry !== undefined) this.deps.timers.clearTimeout(this.#retry);
    if (this.#deadline !== undefined) this.deps.timers.clearTimeout(this.#deadline);
    this.#retry = undefined;
    this.#deadline = undefined;
  }

  #set(status: ConnectionStatus): void {
    this.#status = status;
    this.deps.onStatus(status);
  }
}
