import type { DeliveryStatus } from '../../domain/delivery.js';
import type { ChatMessage } from '../../domain/message.js';
import type { NodeRecord } from '../../domain/node-record.js';
import type { NodeReport } from '../../domain/peer-registry.js';

/** Where a message this node accepted came from: one of its users, or another node (`PUT /msg`, `POST /msgs`). */
export type MessageSource = 'user' | 'peer';

/**
 * What the use cases tell the outside about the work they do: metrics count it, the audit log writes it down,
 * the mesh map learns from it. Every method returns at once and never throws; the work does not wait for it.
 */
export interface Telemetry {
  /** A message new to this node was taken (a duplicate is not): to deliver here, to relay, or to send. */
  messageAccepted(message: ChatMessage, source: MessageSource): void;
  /** A message was handed to this node's users (stored in history first). */
  deliveredLocally(message: ChatMessage): void;
  /** An outbox copy for `node` was not delivered at its first attempt and waits for a retry. */
  copyQueued(node: string): void;
  /** An outbox copy for `node` left the outbox for good. */
  copySettled(node: string, status: Exclude<DeliveryStatus, 'queued'>): void;
  /** A direct probe of `node` ended: answered or not, after `rttMs`. */
  probed(node: NodeRecord, alive: boolean, rttMs: number): void;
  /** `source` answered `GET /nodes` with `reports`: the nodes it knows. */
  viewReceived(source: NodeRecord, reports: readonly NodeReport[]): void;
}
