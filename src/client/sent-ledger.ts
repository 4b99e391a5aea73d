import { type AckResult, type ChatMessage, EVERYONE, type StatusEvent } from './frames.js';
import type { MessageLedger } from './message-ledger.js';
import type { OutgoingMessage } from './transport.js';

/** Status events held for messages not known yet, and sends kept after their ack was lost. */
export const MAX_HELD_STATUSES = 200;
export const MAX_LOST_SENDS = 50;

/** A status event as the user should hear it. */
export interface StatusReport {
  readonly event: StatusEvent;
  /** The event as the node sent it. */
  readonly raw: unknown;
  /** False when it only repeats what the user was told (by the ack, or an earlier event). */
  readonly news: boolean;
  /** The status the user was told before this event (`queued` makes a `delivered` read "was queued"). */
  readonly previous: string | undefined;
}

interface Held {
  readonly event: StatusEvent;
  readonly raw: unknown;
}

/**
 * The messages this client sent and what became of them. A node settles a copy delivered at the first
 * attempt before it acknowledges the send, and its `status` event may overtake the acknowledgement; until
 * the ack says which id a send got, a status for an id this client does not know is held, then judged
 * against the ack: a copy that was delivered before the ack was never queued, so it is no news. A status
 * held while no send waits any more belongs to someone else's message and is released as it is.
 */
export class SentLedger {
  readonly #waiting = new Map<string, OutgoingMessage>();
  readonly #held = new Map<string, Held[]>();
  #heldCount = 0;
  /** Sends whose ack was lost with the connection, oldest first; history may tell what became of them. */
  readonly #lost: { ref: string; message: OutgoingMessage }[] = [];

  constructor(private readonly ledger: MessageLedger) {}

  /** Sends still waiting for their ack. */
  get waiting(): number {
    return this.#waiting.size;
  }

  sent(ref: string, message: OutgoingMessage): void {
    this.#waiting.set(ref, message);
  }

  /** A status event: the reports to make now (none while it is held for an ack to come). */
  status(event: StatusEvent, raw: unknown): StatusReport[] {
    this.ledger.seeSeq(event.seq);
    if (this.#waiting.size > 0 && !this.ledger.knows(event.id)) {
      this.#hold({ event, raw });
      return this.#overflow();
    }
    return [this.#judge({ event, raw })];
  }

  /** The ack for `ref`: records it, then returns the reports held for its message (and any left unclaimed). */
  ack(ref: string, result: AckResult): StatusReport[] {
    if (!this.#waiting.delete(ref)) return [];
    const id = result.id;
    if (id === undefined) return this.#releaseUnclaimed();
    this.ledger.noteShown(id);
    // A refusal with an id is a message the node made and settled `failed` (its status event may follow).
    this.ledger.noteStatus(id, result.ok ? result.status : 'failed');
    const held = this.#take(id);
    const reports = held.map((h) => this.#afterAck(h, result));
    return [...reports, ...this.#releaseUnclaimed()];
  }

  /**
   * A send that will get no ack: timed out, or (`lost`) written on a connection that dropped. Returns the
   * held reports no send can claim any more.
   */
  drop(ref: string, lost: boolean): StatusReport[] {
    const message = this.#waiting.get(ref);
    if (!message) return [];
    this.#waiting.delete(ref);
    if (lost) {
      this.#lost.push({ ref, message });
      if (this.#lost.length > MAX_LOST_SENDS) this.#lost.shift();
    }
    return this.#releaseUnclaimed();
  }

  /**
   * The send (by ref) a message from this node is a copy of: one waiting for its ack (the node echoed it
   * first), or with `lost`, one whose ack was lost (found again in the history). Matched on destination,
   * text and name; a lost send is claimed once.
   */
  claim(message: ChatMessage, lost: boolean): string | undefined {
    const same = (m: OutgoingMessage) =>
      m.to === message.to && m.msg === message.msg && (m.user ?? '') === (message.user ?? '');
    if (!lost) {
      for (const [ref, m] of this.#waiting) if (same(m)) return ref;
      return undefined;
    }
    const i = this.#lost.findIndex((l) => same(l.message));
    const found = this.#lost[i];
    if (!found) return undefined;
    this.#lost.splice(i, 1);
    return found.ref;
  }

  #judge(held: Held): StatusReport {
    const previous = this.ledger.told(held.event.id);
    return { ...held, news: this.ledger.status(held.event), previous };
  }

  #afterAck(held: Held, ack: AckResult): StatusReport {
    const { event } = held;
    // Settled before the ack: a copy the ack already covers (it failed the send, or was taken at once).
    const covered = !ack.ok || (event.to === EVERYONE && event.status === 'delivered');
    if (!covered) return this.#judge(held);
    const previous = this.ledger.told(event.id);
    this.ledger.status(event);
    return { ...held, news: false, previous };
  }

  #hold(held: Held): void {
    const list = this.#held.get(held.event.id) ?? [];
    list.push(held);
    this.#held.set(held.event.id, list);
    this.#heldCount++;
  }

  #take(id: string): Held[] {
    const list = this.#held.get(id) ?? [];
    this.#held.delete(id);
    this.#heldCount -= list.length;
    return list;
  }

  #overflow(): StatusReport[] {
    const reports: StatusReport[] = [];
    while (this.#heldCount > MAX_HELD_STATUSES) {
      const oldest = this.#held.keys().next();
      if (oldest.done) break;
      const list = this.#held.get(oldest.value) ?? [];
      const first = list.shift();
      this.#heldCount--;
      if (list.length === 0) this.#held.delete(oldest.value);
      if (first) reports.push(this.#judge(first));
    }
    return reports;
  }

  #releaseUnclaimed(): StatusReport[] {
    if (this.#waiting.size > 0) return [];
    const all = [...this.#held.values()].flat();
    this.#held.clear();
    this.#heldCount = 0;
    return all.map((h) => this.#judge(h));
  }
}
