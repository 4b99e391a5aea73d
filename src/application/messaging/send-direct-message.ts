import { formatUserAddress, parseUserAddress } from '../../domain/account.js';
import { UnknownNode } from '../../domain/errors.js';
import { assertFileReference, withFile } from '../../domain/file-reference.js';
import { assertMessageText, type ChatMessage } from '../../domain/message.js';
import { ownMessage } from '../../domain/message-signature.js';
import { busyError } from './admission-gate.js';
import { AuthRequired, DirectUnsupported, InboxFull, UnknownUser } from './direct-errors.js';
import type { SendOutcome } from './forward-message.js';
import type { MessageDeps } from './message-deps.js';

/** The logged-in user who sends: their address (`name@node`) and the display name their messages carry. */
export interface Sender {
  readonly address: string;
  readonly displayName: string;
}

/**
 * A logged-in user's direct message `{to: "name@node", msg}`. The origin node stamps `id`, `ts`, `from` (its
 * own id) and `fromUser` (the sender's address, from the connection, never from the client). To a user of this
 * node it is delivered here; to a user of another node it rides the outbox like any message (queued while that
 * node is down, in order, exactly once), but only to a node that has shown it is a meshchat node (its record has
 * an incarnation): a plain node would show it to all its users. The recipient's node answers `unknown_user`
 * for a name it does not have, which the sender hears as a refusal or a `failed` status.
 *
 * Throws `InvalidInput` for bad input (`invalid_address`, message rules) and `AuthRequired` without a sender;
 * every delivery outcome is a returned `SendOutcome`.
 */
export class SendDirectMessage {
  constructor(private readonly deps: MessageDeps) {}

  async execute(
    input: { to?: unknown; msg?: unknown; file?: unknown },
    sender: Sender | undefined,
    origin?: string,
  ): Promise<SendOutcome> {
    if (sender === undefined) throw new AuthRequired();
    const address = parseUserAddress(input.to);
    const msg = assertMessageText(input.msg);
    const file = assertFileReference(input.file);
    const { registry, courier, direct, clock, ids, telemetry, signatures } = this.deps;
    const destination = address.node === registry.self.id ? undefined : registry.known(address.node);
    // Refused before the message is made when its node is behind, as `ForwardMessage` does.
    const busy = destination?.incarnation !== undefined && courier.busyRefusal([destination]);
    if (busy) return { ok: false, error: busyError(busy) };
    const fields: ChatMessage = {
      id: ids.next(),
      from: registry.self.id,
      to: formatUserAddress(address),
      msg,
      ts: new Date(clock.now()).toISOString(),
      user: sender.displayName,
      fromUser: sender.address,
      ...withFile(file),
    };
    // Not signed here: the courier proves a batch with one signature, and signs a message it sends alone
    // (`Courier`), so a message sent in a batch costs no signature of its own.
    const message = fields;
    const signs = signatures?.signs === true;
    if (address.node === registry.self.id) {
      if (!direct) return refused(message, new UnknownUser(message.to));
      try {
        await direct.execute(ownMessage(message, signs), origin);
      } catch (error) {
        if (error instanceof UnknownUser || error instanceof InboxFull) return refused(message, error);
        throw error;
      }
      telemetry?.messageAccepted(message, 'user');
      return { ok: true, id: message.id, status: 'delivered' };
    }
    if (!destination) return refused(message, new UnknownNode(address.node));
    if (destination.incarnation === undefined) return refused(message, new DirectUnsupported(address.node));
    const [outcome] = await courier.send(message, [destination], {
      notify: true,
      outgoing: true,
      origin,
      admit: true,
    });
    if (outcome?.status === 'failed') {
      const { code, message: why } = outcome.error;
      return {
        ok: false,
        id: message.id,
        error: { code, message: `Node "${address.node}" refused the message: ${why}` },
      };
    }
    telemetry?.messageAccepted(message, 'user');
    return { ok: true, id: message.id, status: outcome?.status === 'delivered' ? 'delivered' : 'queued' };
  }
}

function refused(message: ChatMessage, error: { code: string; message: string }): SendOutcome {
  return { ok: false, id: message.id, error: { code: error.code, message: error.message } };
}
