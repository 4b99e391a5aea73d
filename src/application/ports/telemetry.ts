import type { DeliveryStatus } from '../../domain/delivery.js';
import type { ChatMessage } from '../../domain/message.js';
import type { NodeReport } from '../../domain/peer-registry.js';

/**
 * Where a message this node accepted came from: one of its users, the node API for this node's users (`PUT
 * /msg`, `POST /msgs`), or the node API for another node (a relay).
 */
export type MessageSource = 'user' | 'peer' | 'relay';

/**
 * What the use cases tell the outside about the work they do: metrics count it, the audit log writes it down,
 * the mesh map learns from it. Every method returns at once and never throws; the work does not wait for it.
 * Membership changes are not here: whoever needs them listens to the registry's own `onChange`.
 */
export interface Telemetry {
  /**
   * A message was taken: new to this node, from one of its users or from the node API, for this node's users
   * or for the outbox (a duplicate is not; a message refused by its destination at once is not). A relay is
   * counted per call: the relaying node does not de-duplicate, its destination does.
   */
  messageAccepted(message: ChatMessage, source: MessageSource): void;
  /** A message was handed to this node's users (stored in history first). */
  deliveredLocally(message: ChatMessage): void;
  /** An outbox copy for `node` was not delivered at its first attempt and waits for a retry. */
  copyQueued(node: string): void;
  /** An outbox copy for `node` left the outbox for good. */
  copySettled(node: string, status: Exclude<DeliveryStatus, 'queued'>): void;
  /**
   * A direct probe of `node` ended: answered or not, after `rttMs`. Every direct probe counts: the failure
   * detector's, the checks of gossiped nodes, reconnect attempts to dead ones, and those done for a peer.
   */
  probed(node: string, alive: boolean, rttMs: number): void;
  /** Member `source` answered `GET /nodes` with `reports`: the nodes it knows. */
  viewReceived(source: string, reports: readonly NodeReport[]): void;
}
