import type { AckResult } from './frames.js';
import type { SentLedger, StatusReport } from './sent-ledger.js';
import type { TimerHandle, Timers } from './timers.js';
import type { OutgoingMessage } from './transport.js';

export interface OutboxDeps {
  readonly timers: Timers;
  readonly sent: SentLedger;
  readonly ackTimeoutMs: number;
  /** Writes on the open connection; false when there is none. */
  readonly write: (message: OutgoingMessage, ref: string) => boolean;
  /** Told of each outcome, with the status reports it releases, in the order they are to be told. */
  readonly settled: (
    ref: string,
    message: OutgoingMessage,
    result: AckResult,
    released: StatusReport[],
  ) => void;
}

interface Outgoing {
  readonly ref: string;
  readonly message: OutgoingMessage;
  written: boolean;
  readonly timer: TimerHandle;
  readonly settle: (result: AckResult) => void;
}

const LOST: AckResult = {
  ok: false,
  error: {
    code: 'connection_lost',
    message: 'the connection was lost before the node acknowledged the message; it may still arrive',
  },
};

/**
 * Sends on their way: written when the connection is open (at once, or when it opens), each settled exactly
 * once: by its ack, by the ack timeout, or as lost when the connection drops after it was written (the node
 * may or may not have taken it; history may tell later).
 */
export class Outbox {
  readonly #out = new Map<string, Outgoing>();
  #refs = 0;

  constructor(private readonly deps: OutboxDeps) {}

  get size(): number {
    return this.#out.size;
  }

  /** Queues a send and writes it if it can; `closed` settles it at once with that error instead. */
  add(message: OutgoingMessage, closed?: AckResult): { ref: string; done: Promise<AckResult> } {
    const ref = `r${++this.#refs}`;
    let settle: (result: AckResult) => void = () => {};
    const done = new Promise<AckResult>((resolve) => {
      settle = resolve;
    });
    const { timers, ackTimeoutMs } = this.deps;
    const out: Outgoing = {
      ref,
      message,
      written: false,
      settle,
      timer: timers.setTimeout(() => {
        const seconds = Math.round(ackTimeoutMs / 100) / 10;
        const error = {
          code: 'ack_timeout',
          message: `no acknowledgement from the node within ${seconds} s`,
        };
        this.#finish(out, { ok: false, error }, 'timeout');
      }, ackTimeoutMs),
    };
    this.#out.set(ref, out);
    if (closed) this.#finish(out, closed, 'lost');
    else this.flush();
    return { ref, done };
  }

  /** Writes every send not written yet (the connection opened). */
  flush(): void {
    for (const out of this.#out.values()) {
      if (!out.written && this.deps.write(out.message, out.ref)) {
        out.written = true;
        this.deps.sent.sent(out.ref, out.message);
      }
    }
  }

  /** The node's ack for `ref`; an ack for a send already settled is ignored. */
  ack(ref: string | undefined, result: AckResult): void {
    const out = ref === undefined ? undefined : this.#out.get(ref);
    if (out) this.#finish(out, result, 'ack');
  }

  /** The connection dropped: sends written on it will get no ack. */
  connectionLost(): void {
    for (const out of [...this.#out.values()]) if (out.written) this.#finish(out, LOST, 'lost');
  }

  /** Settles every send still here with `result`. */
  abandon(result: AckResult): void {
    for (const out of [...this.#out.values()]) this.#finish(out, result, 'lost');
  }

  #finish(out: Outgoing, result: AckResult, how: 'ack' | 'lost' | 'timeout'): void {
    this.#out.delete(out.ref);
    this.deps.timers.clearTimeout(out.timer);
    const { sent } = this.deps;
    const released = how === 'ack' ? sent.ack(out.ref, result) : sent.drop(out.ref, how === 'lost');
    out.settle(result);
    this.deps.settled(out.ref, out.message, result, released);
  }
}
