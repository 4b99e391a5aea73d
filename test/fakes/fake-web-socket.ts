import type { WebSocketLike } from '../../src/client/index.js';

type Listener = (event: never) => void;

/** A WebSocket the test plays the node's side of: it records what was sent and fires events on command. */
export class FakeWebSocket implements WebSocketLike {
  readonly sent: string[] = [];
  closed = false;
  readonly #listeners = new Map<string, Listener[]>();

  constructor(readonly path: string) {}

  send(data: string): void {
    this.sent.push(data);
  }

  close(): void {
    this.closed = true;
  }

  addEventListener(type: string, listener: Listener): void {
    this.#listeners.set(type, [...(this.#listeners.get(type) ?? []), listener]);
  }

  /** The frames sent, parsed. */
  frames(): unknown[] {
    return this.sent.map((text) => JSON.parse(text));
  }

  fire(type: 'open' | 'error'): void;
  fire(type: 'message', event: { data: unknown }): void;
  fire(type: 'close', event: { code: number }): void;
  fire(type: string, event?: unknown): void {
    for (const listener of this.#listeners.get(type) ?? []) (listener as (event: unknown) => void)(event);
  }

  /** The node sends `frame` as a text frame. */
  receive(frame: unknown): void {
    this.fire('message', { data: JSON.stringify(frame) });
  }
}
