import type { MessageDeps } from './message-deps.js';
import { type ChatMessage, outgoingText } from '../domain/message.js';
import { PeerCallFailed } from './errors.js';

export type DeliveryStatus = 'delivered';

/** What the sending user is told. */
export type SendOutcome =
  | { readonly ok: true; readonly id: string; readonly status: DeliveryStatus }
  | { readonly ok: false; readonly id?: string; readonly error: { readonly code: string; readonly message: string } };

/**
 * A user's message: stamped here with `from` (this node: a user cannot forge it), `id` and `ts`, then
 * delivered to this node's users when addressed to it, or handed to the destination with `PUT /msg`.
 * Bad input throws `InvalidInput`; every delivery outcome, good or bad, is a returned `SendOutcome`.
 */
export class ForwardMessage {
  constructor(private readonly deps: MessageDeps) {}

  async execute(input: { to?: unknown; msg?: unknown; user?: unknown }): Promise<SendOutcome> {
    const text = outgoingText(input);
    const { registry, peers, local, clock, ids } = this.deps;
    const message: ChatMessage = {
      ...text,
      id: ids.next(),
      from: registry.self.id,
      ts: new Date(clock.now()).toISOString(),
    };
    if (message.to === registry.self.id) {
      local.execute(message);
      return { ok: true, id: message.id, status: 'delivered' };
    }
    const destination = registry.get(message.to);
    if (!destination) {
      return {
        ok: false,
        id: message.id,
        error: { code: 'unknown_node', message: `No node with id "${message.to}" is known to this node.` },
      };
    }
    try {
      await peers.sendMessage(destination.url, message);
      return { ok: true, id: message.id, status: 'delivered' };
    } catch (error) {
      if (!(error instanceof PeerCallFailed)) throw error;
      return {
        ok: false,
        id: message.id,
        error: { code: error.code, message: `Node "${message.to}" did not accept the message: ${error.message}` },
      };
    }
  }
}
