import { BROADCAST, broadcastTargets } from '../../domain/delivery.js';
import { isUserAddressed } from '../../domain/direct-message.js';
import { UnknownNode } from '../../domain/errors.js';
import { assertAnonymousUserName, type ChatMessage, outgoingText } from '../../domain/message.js';
import { ownMessage } from '../../domain/message-signature.js';
import { busyError } from './admission-gate.js';
import type { MessageDeps } from './message-deps.js';
import { SendDirectMessage, type Sender } from './send-direct-message.js';

/** What the sending user is told. */
export type SendOutcome =
  | { readonly ok: true; readonly id: string; readonly status: 'delivered' | 'queued' }
  | {
      readonly ok: false;
      readonly id?: string;
      /** `retryAfter` (whole seconds) when trying again later can succeed (`destination_busy`). */
      readonly error: { readonly code: string; readonly message: string; readonly retryAfter?: number };
    };

/**
 * A user's message: stamped here with `from` (this node: a user cannot forge it), `id` and `ts`, then
 * delivered to this node's users when addressed to it, or put in the outbox for its destination, or for `*`
 * for every other node (this node's users see it as sent, like any message they send). A destination this node
 * has never heard of is refused; one that is down or found dead but remembered gets the message queued. Bad
 * input throws `InvalidInput`; every delivery outcome is a returned `SendOutcome`: `delivered` when the
 * destination took it at once, `queued` when it is kept for retries (its fate comes later as a status event).
 * `origin` names the user connection it came from, which is not shown the message again. A `to` that is a
 * user address (`name@node`) is a direct message, sent by `SendDirectMessage` as the logged-in `sender`.
 * A keyed node signs what it originates (`MessageSignatures`), and its users see it `verified`.
 */
export class ForwardMessage {
  readonly #direct: SendDirectMessage;

  constructor(private readonly deps: MessageDeps) {
    this.#direct = new SendDirectMessage(deps);
  }

  async execute(
    input: { to?: unknown; msg?: unknown; user?: unknown; file?: unknown },
    origin?: string,
    sender?: Sender,
  ): Promise<SendOutcome> {
    if (typeof input.to === 'string' && isUserAddressed(input.to)) {
      return this.#direct.execute(input, sender, origin);
    }
    const text = outgoingText(input);
    // A logged-in sender's name is its address, set by the front end; anyone else may not borrow that shape.
    if (!sender) assertAnonymousUserName(text.user);
    const { registry, courier, local, clock, ids, telemetry, signatures } = this.deps;
    const broadcast = text.to === BROADCAST;
    const destination = broadcast || text.to === registry.self.id ? undefined : registry.known(text.to);
    // A destination that is behind: refused before the message is made (`Courier.busyRefusal`), the same
    // answer `send` would give, so that under overload a refusal costs a small part of a delivery.
    const busy = destination && courier.busyRefusal([destination]);
    if (busy) return { ok: false, error: busyError(busy) };
    const fields: ChatMessage = {
      ...text,
      id: ids.next(),
      from: registry.self.id,
      ts: new Date(clock.now()).toISOString(),
    };
    // Not signed here: the courier proves a batch with one signature, and signs a message it sends alone
    // (`Courier`), so a message sent in a batch costs no signature of its own.
    const message = fields;
    const signs = signatures?.signs === true;
    if (message.to === registry.self.id) {
      await local.execute(ownMessage(message, signs));
      telemetry?.messageAccepted(message, 'user');
      return { ok: true, id: message.id, status: 'delivered' };
    }
    if (!broadcast && !destination) {
      const { code, message: why } = new UnknownNode(message.to);
      return { ok: false, id: message.id, error: { code, message: why } };
    }
    const targets = broadcast ? broadcastTargets(registry) : [destination as NonNullable<typeof destination>];
    const outcomes = await courier.send(message, targets, {
      notify: true,
      outgoing: true,
      origin,
      admit: true,
    });
    const refusal = outcomes.find((o) => o.status === 'failed');
    // A broadcast copy refused for good is told as a `failed` status event; the ack says whether any waits.
    if (!broadcast && refusal?.status === 'failed') {
      const { code, message: why } = refusal.error;
      return {
        ok: false,
        id: message.id,
        error: { code, message: `Node "${message.to}" refused the message: ${why}` },
      };
    }
    telemetry?.messageAccepted(message, 'user');
    const waiting = outcomes.some((o) => o.status === 'queued');
    return { ok: true, id: message.id, status: waiting ? 'queued' : 'delivered' };
  }
}
