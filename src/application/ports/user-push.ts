import type { ChatMessage } from '../../domain/message.js';
import type { NodeRecord } from '../../domain/node-record.js';

/**
 * Pushes to the users connected to this node through one front end (socket.io, plain WebSocket, ...).
 *
 * Both methods return at once and never throw: a slow or broken user connection is that front end's problem,
 * not the caller's. Delivery to a user is best effort per connection; a later issue adds history for catch-up.
 */
export interface UserPush {
  /** Hands `message` to every connected user; returns how many users it was handed to. */
  pushMessage(message: ChatMessage): number;
  /** Sends the current node list (the node itself first). */
  pushNodes(nodes: readonly NodeRecord[]): void;
}
