import type { MessageDeps } from './message-deps.js';
import { HopLimitReached, UnknownNode } from '../domain/errors.js';
import {
  assertMessageText,
  assertTimestamp,
  assertUserName,
  type ChatMessage,
  type InboundMessage,
  MAX_RELAY_HOPS,
} from '../domain/message.js';
import { assertNodeId } from '../domain/node-record.js';

export type ReceiveOutcome = { readonly status: 'delivered' | 'duplicate' | 'relayed'; readonly id?: string };

/**
 * A `PUT /msg` from another node (or a plain client). Addressed to this node, or to nobody (the assignment's
 * echo mode): pushed to this node's users, once per id. Addressed to another known node: relayed to it with
 * `hops` counted, at most `MAX_RELAY_HOPS` times. Unknown destination: `UnknownNode`. A failed relay rejects
 * with the peer's `PeerCallFailed`, so the caller learns the message did not get through.
 */
export class ReceiveMessage {
  constructor(private readonly deps: MessageDeps) {}

  async execute(input: InboundMessage): Promise<ReceiveOutcome> {
    const { registry, peers, local, clock, ids } = this.deps;
    assertMessageText(input.msg);
    const user = assertUserName(input.user);
    const ts = assertTimestamp(input.ts);
    const self = registry.self.id;
    const from = input.from === undefined ? self : assertNodeId(input.from);
    const to = input.to === undefined || input.to === '' ? self : assertNodeId(input.to);

    if (to === self) {
      const message: ChatMessage = {
        id: input.id ?? ids.next(),
        from,
        to,
        msg: input.msg,
        ts: ts ?? new Date(clock.now()).toISOString(),
        ...(user === undefined ? {} : { user }),
      };
      const outcome = local.execute(message);
      return { status: outcome.duplicate ? 'duplicate' : 'delivered', id: message.id };
    }

    const destination = registry.get(to);
    if (!destination) throw new UnknownNode(to);
    const hops = input.hops ?? 0;
    if (hops >= MAX_RELAY_HOPS) throw new HopLimitReached(hops);
    await peers.sendMessage(destination.url, { ...input, hops: hops + 1 });
    return { status: 'relayed', ...(input.id === undefined ? {} : { id: input.id }) };
  }
}
