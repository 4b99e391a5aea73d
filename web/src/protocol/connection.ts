import { parseFrameText } from './frames.js';

export type ConnState = 'connecting' | 'open' | 'waiting' | 'offline';

export interface ConnectionStatus {
  state: ConnState;
  /** Attempts since the last healthy connection (0 on the first try). */
  attempt: number;
  /** While waiting: when the next attempt starts (epoch ms). */
  retryAt?: number;
}

export interface ConnectionEvents {
  status(status: ConnectionStatus): void;
  /** A new socket is open: the node is about to send hello, nodes, history and mesh again. */
  opened(): void;
  frame(frame: Record<string, unknown>): void;
  /** The socket closed; frames sent on it and not yet answered may or may not have arrived. */
  closed(): void;
}

export interface ConnectionOptions {
  /** The /ws URL to open, with `since` when the page has a history cursor. */
  url(): string;
  WebSocket?: typeof WebSocket;
  /** Whether the browser thinks it is online (`navigator.onLine`). */
  online?(): boolean;
}

const BACKOFF_BASE_MS = 500;
/**
 * The longest wait between attempts. A node that comes back after a restart is found within this (plus the
 * jitter), however long it was down; one attempt every two seconds costs a down node nothing worth saving.
 */
export const BACKOFF_MAX_MS = 2_000;
const CONNECT_TIMEOUT_MS = 10_000;

/** The page's one WebSocket to its node: reconnects with capped, jittered backoff until stopped. */
export class Connection {
  #socket: WebSocket | undefined;
  #status: ConnectionStatus = { state: 'connecting', attempt: 0 };
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #connectTimer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;
  readonly #Ws: typeof WebSocket;

  constructor(
    private readonly events: ConnectionEvents,
    private readonly options: ConnectionOptions,
  ) {
    this.#Ws = options.WebSocket ?? WebSocket;
  }

  get status(): ConnectionStatus {
    return this.#status;
  }

  start(): void {
    this.#stopped = false;
    this.#connect();
  }

  stop(): void {
    this.#stopped = true;
    this.#clearTimers();
    const socket = this.#socket;
    this.#socket = undefined;
    socket?.close();
  }

  /** Tries at once, with the backoff reset (the user asked, or the network or the tab came back). */
  reconnectNow(): void {
    if (this.#status.state === 'open' || this.#status.state === 'connecting') return;
    this.#status = { ...this.#status, attempt: 0 };
    this.#connect();
  }

  /** A healthy handshake (the node said hello): the next outage starts again from the shortest wait. */
  healthy(): void {
    this.#status = { ...this.#status, attempt: 0 };
  }

  send(frame: object): boolean {
    const socket = this.#socket;
    if (!socket || socket.readyState !== this.#Ws.OPEN) return false;
    socket.send(JSON.stringify(frame));
    return true;
  }

  #setStatus(status: ConnectionStatus): void {
    this.#status = status;
    this.events.status(status);
  }

  #clearTimers(): void {
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#connectTimer);
    this.#retryTimer = undefined;
    this.#connectTimer = undefined;
  }

  #connect(): void {
    this.#clearTimers();
    if (this.#stopped) return;
    this.#setStatus({ state: 'connecting', attempt: this.#status.attempt });
    let ws: WebSocket;
    try {
      ws = new this.#Ws(this.options.url());
    } catch {
      this.#scheduleReconnect();
      return;
    }
    this.#socket = ws;
    this.#connectTimer = setTimeout(() => {
      if (ws.readyState === this.#Ws.CONNECTING) ws.close();
    }, CONNECT_TIMEOUT_MS);

    ws.addEventListener('open', () => {
      if (this.#socket !== ws) return;
      clearTimeout(this.#connectTimer);
      this.#setStatus({ state: 'open', attempt: this.#status.attempt });
      this.events.opened();
    });
    ws.addEventListener('message', (ev: MessageEvent) => {
      if (this.#socket !== ws) return;
      const frame = parseFrameText(ev.data);
      if (frame) this.events.frame(frame);
    });
    // 'error' is always followed by 'close'.
    ws.addEventListener('close', () => {
      if (this.#socket !== ws) return;
      this.#socket = undefined;
      this.events.closed();
      this.#scheduleReconnect();
    });
  }

  #scheduleReconnect(): void {
    this.#clearTimers();
    if (this.#stopped) return;
    const attempt = this.#status.attempt;
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** attempt);
    const delay = Math.round(ceiling * (0.75 + Math.random() * 0.5));
    const offline = this.options.online?.() === false;
    this.#setStatus({
      state: offline ? 'offline' : 'waiting',
      attempt: attempt + 1,
      retryAt: Date.now() + delay,
    });
    this.#retryTimer = setTimeout(() => this.#connect(), delay);
  }
}
