import type { HistoryEntry, StatusUpdate } from '../../domain/delivery.js';
import type { MeshGraph } from '../../domain/mesh-graph.js';
import type { NodeRecord } from '../../domain/node-record.js';
import type { PresenceChange } from '../accounts/presence.js';

/**
 * Pushes to the users connected to this node through one front end (socket.io, plain WebSocket, ...).
 *
 * Every method returns at once and never throws: a slow or broken user connection is that front end's problem,
 * not the caller's. Delivery to a connection is best effort; a user who was away catches up from history
 * when it connects again (front ends send it on connect).
 */
export interface UserPush {
  /** Users connected through this front end right now. */
  readonly connectedUsers: number;
  /**
   * Hands `message` (stored in history, with its cursor) to every connected user except the connection
   * `except` (a front end's connection id: the user who sent it and hears of it through its ack); returns how
   * many users it was handed to.
   */
  pushMessage(message: HistoryEntry, except?: string): number;
  /** Tells every connected user how a message sent from this node settled after it was acknowledged. */
  pushStatus(update: StatusUpdate): void;
  /** Sends the current node list (the node itself first). */
  pushNodes(nodes: readonly NodeRecord[]): void;
  /** Sends the network map: every node this node knows of, and which node knows which. */
  pushMesh(graph: MeshGraph): void;
  /** Tells every connected user that one of this node's users came online or went offline. */
  pushPresence(change: PresenceChange): void;
  /**
   * Closes every connection logged in as the account `name` (lower-case), which no longer exists; returns
   * how many it closed. Anonymous connections and other users' stay open.
   */
  disconnectUser(name: string): number;
}
