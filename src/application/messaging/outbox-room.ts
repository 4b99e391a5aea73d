import type { NodeRecord } from '../../domain/node-record.js';

/**
 * Why a message whose copies for `targets` would take the outbox past its bounds is refused (the `OutboxFull`
 * sentence), or undefined when there is room: `maxQueued` copies in all (`queued` now), and `maxQueuedPerNode`
 * for one destination (`queuedFor`). A broadcast is bounded by the total only, so one node that is gone for good
 * cannot block them all.
 */
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
