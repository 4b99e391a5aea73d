import { type ChatMessage, EVERYONE, type StatusEvent } from './frames.js';
import { RecentIds } from './recent-ids.js';

/** What a history entry means to a client that may have seen it before (see {@link MessageLedger.history}). */
export type HistoryDecision = 'show' | 'status' | 'skip';

/**
 * What this client has told its user: the message ids already shown, the last status told for each message
 * sent from its node (from acks, status events and history), and the history cursor (the highest `seq`
 * seen), which every reconnect sends as `since`. Bounded: the oldest ids are forgotten first.
 */
export class MessageLedger {
  readonly #shown: RecentIds;
  readonly #told = new Map<string, string>();
  #cursor: number | undefined;

  constructor(private readonly limit = 5000) {
    this.#shown = new RecentIds(limit);
  }

  /** The highest seq seen so far; undefined until the node sent one. */
  get since(): number | undefined {
    return this.#cursor;
  }

  seeSeq(seq: number | undefined): void {
    if (seq !== undefined && (this.#cursor === undefined || seq > this.#cursor)) this.#cursor = seq;
  }

  /** The status this user was last told for message `id`, if any. */
  told(id: string): string | undefined {
    return this.#told.get(id);
  }

  /** Whether message `id` was shown or its status told. */
  knows(id: string): boolean {
    return this.#shown.has(id) || this.#told.has(id);
  }

  /**
   * Whether a status event tells this user something: the node reports every copy's outcome, also one the
   * acknowledgement already gave (`delivered` at once). A broadcast's per-node `delivered` is news only after
   * it was acknowledged `queued`.
   */
  isNews(event: StatusEvent): boolean {
    const known = this.#told.get(event.id);
    if (event.to === EVERYONE) return event.status !== 'delivered' || known !== 'delivered';
    return known !== event.status;
  }

  /**
   * Takes a status event: records it (a broadcast's summary stays what the ack said until a copy fails; a
   * unicast's status is the event's) and returns whether it is news to this user.
   */
  status(event: StatusEvent): boolean {
    this.seeSeq(event.seq);
    const news = this.isNews(event);
    if (event.to !== EVERYONE || event.status !== 'delivered') this.noteStatus(event.id, event.status);
    return news;
  }

  /** Records the status of a message sent from this node that the user was told (an ack or a status event). */
  noteStatus(id: string, status: string): void {
    this.#told.delete(id);
    this.#told.set(id, status);
    if (this.#told.size > this.limit) {
      const oldest = this.#told.keys().next();
      if (!oldest.done) this.#told.delete(oldest.value);
    }
  }

  /** Records that message `id` is on screen (a send of this client, shown by the front end itself). */
  noteShown(id: string): void {
    this.#shown.add(id);
  }

  /** A live message: true when it should be shown (not seen before). */
  live(message: ChatMessage): boolean {
    this.seeSeq(message.seq);
    return message.id === undefined || this.#shown.add(message.id);
  }

  /**
   * A history entry: `show` a message not seen before; `status` for a message already known whose status
   * changed to a final one while this client was away (show that change instead); `skip` otherwise.
   */
  history(entry: ChatMessage): HistoryDecision {
    this.seeSeq(entry.seq);
    const id = entry.id;
    if (id === undefined) return 'show';
    if (entry.status === undefined) return this.#shown.add(id) ? 'show' : 'skip';
    const known = this.knows(id);
    const previous = this.#told.get(id);
    this.noteStatus(id, entry.status);
    if (!known) {
      this.#shown.add(id);
      return 'show';
    }
    return previous !== entry.status && entry.status !== 'queued' ? 'status' : 'skip';
  }
}
