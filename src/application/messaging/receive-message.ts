import { formatUserAddress, parseUserAddress } from '../../domain/account.js';
import { BROADCAST, broadcastTargets } from '../../domain/delivery.js';
import { isUserAddressed } from '../../domain/direct-message.js';
import { HopLimitReached, InvalidInput, UnknownNode } from '../../domain/errors.js';
import { assertFileReference, type FileReference, withFile } from '../../domain/file-reference.js';
import {
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
 */
export class ReceiveMessage {
  constructor(private readonly deps: MessageDeps) {}

  async execute(input: InboundMessage): Promise<ReceiveOutcome> {
    const { registry, courier, local, clock, ids, telemetry } = this.deps;
    assertMessageText(input.msg);
    const user = assertUserName(input.user);
    const ts = assertTimestamp(input.ts);
    const file = assertFileReference(input.file);
    const self = registry.self.id;
    if (typeof input.to === 'string' && isUserAddressed(input.to)) return this.#direct(input, user, ts, file);
    const from = input.from === undefined ? self : assertNodeId(input.from);
    const to = input.to === undefined || input.to === '' ? self : assertDestination(input.to);
    const message: ChatMessage = {
      id: input.id ?? ids.next(),
      from,
      to,
      msg: input.msg,
      ts: ts ?? new Date(clock.now()).toISOString(),
      ...(user === undefined ? {} : { user }),
      ...withFile(file),
    };

    if (to === self || to === BROADCAST) {
      // A new broadcast is stored for this node's users and for every other node in one turn, so in one store
      // transaction: a crash cannot leave it delivered here and lost for the others.
      const fanOut =
        to === BROADCAST && input.id === undefined
          ? courier.send(message, broadcastTargets(registry, from), { notify: false })
          : undefined;
      const [delivery] = await Promise.all([local.execute(message), fanOut]);
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
  ): Promise<ReceiveOutcome> {
    const { direct, clock, ids, telemetry } = this.deps;
    const to = formatUserAddress(parseUserAddress(input.to));
    const from = assertNodeId(input.from);
    const sender = parseUserAddress(input.fromUser);
    if (sender.node !== from) {
      throw new InvalidInput(
        'invalid_address',
        `The sender "fromUser" of a direct message must be a user of its origin node "${from}".`,
      );
    }
    if (!direct) throw new UnknownUser(to);
    const message: ChatMessage = {
      id: input.id ?? ids.next(),
      from,
      to,
      msg: input.msg,
      ts: ts ?? new Date(clock.now()).toISOString(),
      ...(user === undefined ? {} : { user }),
      fromUser: formatUserAddress(sender),
      ...withFile(file),
    };
    const delivery = await direct.execute(message);
    if (!delivery.duplicate) telemetry?.messageAccepted(message, 'peer');
    return { status: delivery.duplicate ? 'duplicate' : 'delivered', id: message.id };
  }
}
