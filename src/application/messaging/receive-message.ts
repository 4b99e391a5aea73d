import { formatUserAddress, parseUserAddress } from '../../domain/account.js';
import { BROADCAST, broadcastTargets } from '../../domain/delivery.js';
import { isForNode, isUserAddressed } from '../../domain/direct-message.js';
import { HopLimitReached, InvalidInput, UnknownNode } from '../../domain/errors.js';
import { assertFileReference, type FileReference } from '../../domain/file-reference.js';
import {
  assertAnonymousUserName,
  assertDestination,
  assertMessageText,
  assertTimestamp,
  assertUserName,
  type ChatMessage,
  type InboundMessage,
  MAX_RELAY_HOPS,
} from '../../domain/message.js';
import { assertNodeId } from '../../domain/node-record.js';
import { RelayRefused } from '../errors.js';
import type { FirstOutcome } from './courier.js';
import { UnknownUser } from './direct-errors.js';
import type { MessageDeps } from './message-deps.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export type ReceiveOutcome = {
  readonly status: 'delivered' | 'duplicate' | 'relayed' | 'queued';
  readonly id: string;
};

/**
 * A `PUT /msg` from another node (or a plain client).
 * - Addressed to this node, or to nobody (the assignment's echo mode): pushed to this node's users, once per id.
 * - Addressed to `*`: pushed to this node's users once per id. A copy that carries an `id` is one node's share
 *   of a broadcast and goes no further; one without (from a plain node) is a new broadcast, sent on from here
 *   to every other node.
 * - Addressed to another node this node knows, or remembers as dead: relayed through the outbox (`relayed`, or
 *   `queued` when it is down), with `hops` counted, at most `MAX_RELAY_HOPS` times. A message without an id
 *   gets one here, so the relay itself can be retried safely.
 * - Addressed to a user (`name@node`, a direct message from a meshchat node): delivered by `DeliverDirect`
 *   when this is the user's home node, never relayed. It must name its origin node (`from`) and its sender as
 *   a user of that node (`fromUser`), else `InvalidInput`; a name without an account here is `UnknownUser`.
 * - Unknown destination: `UnknownNode`. A relay the destination refuses for good: `RelayRefused`, with its
 *   status and code.
 * - Signed messages (`MessageSignatures`): a message whose `from` is bound to a key must carry that key's
 *   signature, else `BadSignature` before anything is stored, shown or relayed; this node's users see it
 *   `verified`. The signature is passed on unchanged when relayed. A message without `from` originates here
 *   (the assignment's client, or a plain client asking this node to relay): this node signs it.
 */
export class ReceiveMessage {
  constructor(private readonly deps: MessageDeps) {}

  /**
   * `provenBy`: the node whose batch proof (`ReceiveMessages`) or authenticated peer link covers this message;
   * a message whose `from` is that node is not checked for a signature of its own.
   */
  async execute(input: InboundMessage, provenBy?: string): Promise<ReceiveOutcome> {
    const { registry, courier, local, telemetry } = this.deps;
    assertMessageText(input.msg);
    const user = assertUserName(input.user);
    const ts = assertTimestamp(input.ts);
    const file = assertFileReference(input.file);
    const self = registry.self.id;
    if (typeof input.to === 'string' && isUserAddressed(input.to))
      return this.#direct(input, user, ts, file, provenBy);
    // Without `from` a user sends from this node, anonymously (`PUT /msg` takes no login).
    if (input.from === undefined) assertAnonymousUserName(user);
    const from = input.from === undefined ? self : assertNodeId(input.from);
    const to = input.to === undefined || input.to === '' ? self : assertDestination(input.to);
    // A batch proof or a link vouches for what its node sent to this node; what this node is asked to relay
    // goes on with its origin's own signature, so it must carry one.
    const forHere = isForNode(to, self);
    const { message, verified } = this.#authenticate(
      input,
      this.#compose(input, from, to, { user, ts, file }),
      forHere ? provenBy : undefined,
    );

    if (forHere) {
      // A new broadcast is stored for this node's users and for every other node in one turn, so in one store
      // transaction: a crash cannot leave it delivered here and lost for the others.
      const fanOut =
        to === BROADCAST && input.id === undefined
          ? courier.send(message, broadcastTargets(registry, from), { notify: false })
          : undefined;
      const local$ = local.execute(shown(message, verified));
      // Both started above, in this turn; the usual message (no fan-out) awaits its delivery alone.
      const delivery = fanOut ? (await Promise.all([local$, fanOut]))[0] : await local$;
      if (!delivery.duplicate) telemetry?.messageAccepted(message, 'peer');
      return { status: delivery.duplicate ? 'duplicate' : 'delivered', id: message.id };
    }

    const destination = registry.known(to);
    if (!destination) throw new UnknownNode(to);
    const hops = input.hops ?? 0;
    if (hops >= MAX_RELAY_HOPS) throw new HopLimitReached(hops);
    const relayed = { ...message, hops: hops + 1 };
    const [outcome] = (await courier.send(relayed, [destination], { notify: false })) as [FirstOutcome];
    if (outcome.status === 'failed') {
      const { code, message: why, status } = outcome.error;
      throw new RelayRefused(code, `Node "${to}" refused the message: ${why}`, status);
    }
    telemetry?.messageAccepted(relayed, 'relay');
    return { status: outcome.status === 'delivered' ? 'relayed' : 'queued', id: message.id };
  }

  async #direct(
    input: InboundMessage,
    user: string | undefined,
    ts: string | undefined,
    file: FileReference | undefined,
    provenBy: string | undefined,
  ): Promise<ReceiveOutcome> {
    const { direct, telemetry } = this.deps;
    const to = formatUserAddress(parseUserAddress(input.to));
    // Say which field: the domain's own messages name no field, and these two are easy to leave out by hand.
    if (input.from === undefined) {
      throw new InvalidInput(
        'invalid_node_id',
        'A direct message between nodes names its origin node in "from" and its sender in "fromUser" ' +
          '(a user sends one from a logged-in socket.io or /ws connection, which fills both in).',
      );
    }
    if (input.fromUser === undefined) {
      throw new InvalidInput(
        'invalid_address',
        `A direct message names its sender in "fromUser", as name@node with the node "${input.from}".`,
      );
    }
    const from = assertNodeId(input.from);
    const sender = parseUserAddress(input.fromUser);
    if (sender.node !== from) {
      throw new InvalidInput(
        'invalid_address',
        `The sender "fromUser" of a direct message must be a user of its origin node "${from}".`,
      );
    }
    const { message, verified } = this.#authenticate(
      input,
      this.#compose(input, from, to, { user, ts, file, fromUser: formatUserAddress(sender) }),
      provenBy,
    );
    if (!direct) throw new UnknownUser(to);
    const delivery = await direct.execute(shown(message, verified));
    if (!delivery.duplicate) telemetry?.messageAccepted(message, 'peer');
    return { status: delivery.duplicate ? 'duplicate' : 'delivered', id: message.id };
  }

  /** The message as received: its id and time as given or made here, its optional fields only when present. */
  #compose(
    input: InboundMessage,
    from: string,
    to: string,
    checked: { user?: string; ts?: string; file?: FileReference; fromUser?: string },
  ): ChatMessage {
    const { ids, clock } = this.deps;
    // Built in place, the optional fields in the same order a spread of each would give, without the
    // throwaway objects of spreads (one message per call is the usual case at low rates).
    const message: Mutable<ChatMessage> = {
      id: input.id ?? ids.next(),
      from,
      to,
      msg: input.msg,
      ts: checked.ts ?? new Date(clock.now()).toISOString(),
    };
    if (checked.user !== undefined) message.user = checked.user;
    if (checked.fromUser !== undefined) message.fromUser = checked.fromUser;
    if (checked.file !== undefined) message.file = checked.file;
    return message;
  }

  /**
   * The message as it goes on, with its signature: this node's own when `from` was absent (it originates
   * here), else the one it came with, checked when `from` is bound to a key (throws `BadSignature`).
   */
  #authenticate(
    input: InboundMessage,
    fields: ChatMessage,
    provenBy: string | undefined,
  ): { message: ChatMessage; verified: boolean } {
    const { signatures } = this.deps;
    if (input.from === undefined) {
      return signatures?.signs
        ? { message: signatures.seal(fields), verified: true }
        : { message: fields, verified: false };
    }
    const message = typeof input.sig === 'string' ? { ...fields, sig: input.sig } : fields;
    return { message, verified: signatures?.check(message, provenBy) ?? false };
  }
}

/** What this node's users get: `verified` set when the origin's signature checked out here. */
function shown(message: ChatMessage, verified: boolean): ChatMessage {
  return verified ? { ...message, verified: true } : message;
}
