import { BROADCAST } from '../../domain/delivery.js';
import type { ChatMessage } from '../../domain/message.js';
import type { NodeRecord } from '../../domain/node-record.js';
import { OutboxFull } from '../errors.js';

/**
 * Refuses `OutboxFull` a message whose copies for `targets` would take the outbox past its bounds: `maxQueued`
 * copies in all (`queued` now), and `maxQueuedPerNode` for one destination (`queuedFor`). A broadcast is bounded
 * by the total only, so one node that is gone for good cannot block them all.
 */
export function checkOutboxRoom(
  bounds: { readonly maxQueued: number; readonly maxQueuedPerNode: number },
  queued: number,
  queuedFor: (node: string) => number,
  message: ChatMessage,
  targets: readonly NodeRecord[],
): void {
  const why = outboxRoomRefusal(bounds, queued, queuedFor, message.to === BROADCAST, targets);
  if (why !== undefined) throw new OutboxFull(why);
}

/** Why `checkOutboxRoom` would refuse (its `OutboxFull` sentence), or undefined when there is room. */
export function outboxRoomRefusal(
  bounds: { readonly maxQueued: number; readonly maxQueuedPerNode: number },
  queued: number,
  queuedFor: (node: string) => number,
  broadcast: boolean,
  targets: readonly NodeRecord[],
): string | undefined {
  const { maxQueued, maxQueuedPerNode } = bounds;
  if (queued + targets.length > maxQueued) {
    return `This node already keeps ${queued} undelivered messages, the most it keeps.`;
  }
  if (broadcast) return undefined;
  for (const target of targets) {
    if (queuedFor(target.id) >= maxQueuedPerNode) {
      return `This node already keeps ${maxQueuedPerNode} undelivered messages for node "${target.id}"; try again once it is back.`;
    }
  }
  return undefined;
}
