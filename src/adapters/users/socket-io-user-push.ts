import { Server } from 'socket.io';
import type { ForwardMessage } from '../../application/messaging/forward-message.js';
import type { UserPush } from '../../application/ports/user-push.js';
import type { HistoryEntry, StatusUpdate } from '../../domain/delivery.js';
import type { NodeRecord } from '../../domain/node-record.js';
import type { MeshGraph } from '../../domain/mesh-graph.js';
import type { NodeHttpServer } from '../http/node-http-server.js';
import { boundedHistory, historyCursor } from './history-cursor.js';
import { type FrontEndDeps, sendFromUser } from './send-from-user.js';

/** Largest socket.io packet a user may send: a 64 KiB message escaped as JSON, with room to spare. */
const MAX_PACKET_BYTES = 512 * 1024;

/**
 * Users on socket.io (SPEC section 3), at the node's URL with the default path. Receives `msg` events with an
 * optional acknowledgement; pushes `hello`, `nodes`, one `history` (what the user missed since the cursor in
 * its handshake `auth.since` or query `since`, else all kept) and `mesh`, then `msg`, `status`, `nodes` and
 * `mesh` events.
 */
export class SocketIoUserPush implements UserPush {
  #io: Server | undefined;

  constructor(
    private readonly deps: FrontEndDeps,
  ) {}

  /** Starts serving users on `server`; what they send goes to `forward`. */
  attach(http: NodeHttpServer, forward: ForwardMessage): void {
    // Upgrades elsewhere are the server's to refuse, not socket.io's to destroy.
    const io = new Server(http.server, { maxHttpBufferSize: MAX_PACKET_BYTES, destroyUpgrade: false });
    http.claimUpgrades('/socket.io/');
    io.on('connection', (socket) => {
      const { registry } = this.deps;
      socket.emit('hello', { node: registry.self });
      socket.emit('nodes', registry.list());
      const { auth, query } = socket.handshake;
      const since = historyCursor(auth?.since) ?? historyCursor(query.since);
      socket.emit('history', boundedHistory(this.deps.history(since)));
      socket.emit('mesh', this.deps.mesh());
      socket.on('msg', async (payload: unknown, ack?: unknown) => {
        const outcome = await sendFromUser(forward, payload, this.deps.errors, socket.id);
        if (typeof ack === 'function') ack(outcome);
        else if (!outcome.ok) socket.emit('error', { error: outcome.error });
      });
    });
    this.#io = io;
  }

  pushStatus(update: StatusUpdate): void {
    this.#io?.emit('status', update);
  }

  pushMessage(message: HistoryEntry, except?: string): number {
    const io = this.#io;
    if (!io) return 0;
    const sockets = io.of('/').sockets;
    if (except !== undefined && sockets.has(except)) {
      io.except(except).emit('msg', message);
      return sockets.size - 1;
    }
    io.emit('msg', message);
    return sockets.size;
  }

  pushNodes(nodes: readonly NodeRecord[]): void {
    this.#io?.emit('nodes', nodes);
  }

  pushMesh(graph: MeshGraph): void {
    this.#io?.emit('mesh', graph);
  }

  get connectedUsers(): number {
    return this.#io?.of('/').sockets.size ?? 0;
  }

  async close(): Promise<void> {
    const io = this.#io;
    this.#io = undefined;
    if (!io) return;
    io.disconnectSockets(true);
    // io.close() would also close the shared HTTP server, which the server adapter owns.
    io.engine.close();
  }
}
