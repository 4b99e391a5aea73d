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
  const { maxQueued, maxQueuedPerNode } = bounds;
  if (queued + targets.length > maxQueued) {
    throw new OutboxFull(`This node already keeps ${queued} undelivered messages, the most it keeps.`);
  }
  if (message.to === BROADCAST) return;
  for (const target of targets) {
    if (queuedFor(target.id) >= maxQueuedPerNode) {
      throw new OutboxFull(
        `This node already keeps ${maxQueuedPerNode} undelivered messages for node "${target.id}"; try again once it is back.`,
      );
    }
  }
}
