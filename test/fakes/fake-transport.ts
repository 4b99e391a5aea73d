import type { InboundFrame, OutgoingMessage, Transport, TransportHandlers } from '../../src/client/index.js';

/** A transport the test drives: it records each dial and send, and plays the node's side on command. */
export class FakeTransport implements Transport {
  /** The `since` of every `open`, in order. */
  readonly dials: (number | undefined)[] = [];
  readonly sent: { message: OutgoingMessage; ref: string }[] = [];
  /** Every request for older history, in order. */
  readonly olderRequests: { before: string; limit: number | undefined; ref: string }[] = [];
  closes = 0;
  #handlers: TransportHandlers | undefined;
  #open = false;

  open(since: number | undefined, handlers: TransportHandlers): void {
    this.dials.push(since);
    this.#handlers = handlers;
    this.#open = false;
  }

  send(message: OutgoingMessage, ref: string): boolean {
    if (!this.#open) return false;
    this.sent.push({ message, ref });
    return true;
  }

  older(before: string, limit: number | undefined, ref: string): boolean {
    if (!this.#open) return false;
    this.olderRequests.push({ before, limit, ref });
    return true;
  }

  close(): void {
    this.closes++;
    this.#handlers = undefined;
    this.#open = false;
  }

  /** True while an attempt or a connection is under way. */
  get dialling(): boolean {
    return this.#handlers !== undefined;
  }

  accept(): void {
    this.#open = true;
    this.#current().onOpen();
  }

  frame(type: InboundFrame['type'], data: unknown, ref?: string): void {
    this.#current().onFrame(ref === undefined ? { type, data } : { type, data, ref });
  }

  /** A `history` frame with its page `{more, before}`, as a meshchat node sends it. */
  history(messages: unknown[], page: { more: boolean; before?: string }): void {
    this.#current().onFrame({ type: 'history', data: messages, page });
  }

  /** The node answers the send with `ref`. */
  ack(ref: string, data: unknown): void {
    this.frame('ack', data, ref);
  }

  /** The connection ends; `refused` as a node turning it away, `loginRefused` as one refusing its token. */
  drop(reason = 'the connection closed', refused = false, loginRefused = false): void {
    const handlers = this.#current();
    this.#handlers = undefined;
    this.#open = false;
    if (loginRefused) handlers.onClose({ reason, refused: true, loginRefused });
    else handlers.onClose(refused ? { reason, refused } : { reason });
  }

  #current(): TransportHandlers {
    if (!this.#handlers) throw new Error('no connection attempt is under way');
    return this.#handlers;
  }
}
