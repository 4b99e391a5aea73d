import type { ChatMessage, InboundMessage } from '../../domain/message.js';
import type { NodeRecord } from '../../domain/node-record.js';

/**
 * Talks to one other node, addressed by its base URL, over the base protocol (SPEC section 1).
 *
 * - Resolves when the peer answers 2xx, whatever the body (a plain node may answer the text `OK`).
 * - Rejects only with `PeerCallFailed`: `peer_unreachable` (no connection), `peer_timeout` (no answer within
 *   the adapter's timeout, 5 s by default), `peer_rejected` (a non-2xx answer, with `status` and the peer's
 *   error code when it sent one), `peer_busy` (too many calls already waiting for that peer) or
 *   `peer_bad_answer` (a 2xx whose body is not what the protocol says).
 * - Calls to one destination are bounded in flight; further calls wait their turn, which counts against the
 *   timeout. Never blocks the caller synchronously.
 * - `listNodes` and `announce` are idempotent. `withdraw` changes the receiver once; repeated, it rejects with
 *   `peer_rejected` and status 404 (the peer no longer lists the node). `sendMessage` is safe to repeat only for
 *   a message with an `id`, on which meshchat receivers de-duplicate.
 */
export interface PeerClient {
  /** `GET /nodes`: the peer's list. Entries that break the id/url rules are dropped, not trusted. */
  listNodes(url: string): Promise<NodeRecord[]>;
  /** `PUT /nodes/:id {url}`: tells the peer where `node` listens. */
  announce(url: string, node: NodeRecord): Promise<void>;
  /** `DELETE /nodes/:id {url}`: tells the peer that `node` leaves. */
  withdraw(url: string, node: NodeRecord): Promise<void>;
  /** `PUT /msg`: hands a message to the peer. */
  sendMessage(url: string, message: ChatMessage | InboundMessage): Promise<void>;
}
