import './quiet-debug.js';
import { Server, type Socket } from 'socket.io';
import type { AuthenticatedUser } from '../../application/accounts/authenticate.js';
import type { PresenceChange } from '../../application/accounts/presence.js';
import type { ForwardMessage } from '../../application/messaging/forward-message.js';
import type { UserPush } from '../../application/ports/user-push.js';
import type { HistoryEntry, StatusUpdate } from '../../domain/delivery.js';
import { audienceOf, statusAudienceOf } from '../../domain/direct-message.js';
import type { MeshGraph } from '../../domain/mesh-graph.js';
import type { NodeRecord } from '../../domain/node-record.js';
import type { RateLimitedConnection } from '../http/http-rate-limits.js';
import type { NodeHttpServer } from '../http/node-http-server.js';
import { coalesceEngineWrites } from './coalesce-engine-writes.js';
import { AUTH_REQUIRED, authenticateConnection, notePresence } from './connection-auth.js';
import { historyCursor, olderAnswer, pageInfo } from './history-cursor.js';
import { nodesForUsers } from './node-list.js';
import { INVALID_HISTORY_REQUEST, olderRequest } from './older-request.js';
import { releaseUpgradeRequest } from './release-upgrade-request.js';
import { type FrontEndDeps, type FrontEndSettings, sendFromUser } from './send-from-user.js';
import { type ConnectionBudget, type RateLimitedError, refusedSend } from './send-limits.js';
import { boundSendBuffer } from './socket-io-send-bound.js';
import { stopReading } from './stop-reading.js';

/** Largest socket.io packet a user may send: a 64 KiB message escaped as JSON, with room to spare. */
const MAX_PACKET_BYTES = 512 * 1024;
const TRANSPORT = 'socket.io';

/** The room of an account's logged-in sockets, so that they can be closed together. */
const userRoom = (name: string) => `user:${name}`;

/** What this front end keeps of a socket, in its `data`. */
interface ConnectionData {
  /** The account it logged in as (set by the handshake check); absent for an anonymous socket. */
  user?: AuthenticatedUser;
  /** Its send budget, made at its first `msg` or `older` (see `SendLimits.connectionBudget`). */
  budget?: ConnectionBudget;
}

/** The account a socket logged in as (set by the handshake check), or undefined for an anonymous one. */
function userOf(socket: Socket): AuthenticatedUser | undefined {
  return (socket.data as ConnectionData).user;
}

/** Who a logged-in socket is, as the history reads it (what it may see of direct messages). */
function viewerOf(user: AuthenticatedUser | undefined) {
  return user && { name: user.name, address: user.user, since: user.accountCreatedAt };
}

/**
 * A socket's client as the limits read it, from its handshake: the TCP peer engine.io noted and the upgrade's
 * headers (`X-Forwarded-For` behind a tunnel), the same as its request's.
 */
function clientOfSocket(socket: Socket): RateLimitedConnection {
  const { address, headers } = socket.handshake;
  return { socket: { remoteAddress: address }, headers };
}

/**
 * Users on socket.io (SPEC section 3), at the node's URL with the default path. Receives `msg` events with an
 * optional acknowledgement; pushes `hello`, `nodes`, one `history` (what the user missed since the cursor in
 * its handshake `auth.since` or query `since`, else all kept) and `mesh`, then `msg`, `status`, `nodes` and
 * `mesh` events, and `presence` when one of this node's users comes online or goes offline.
 *
 * A handshake with `auth: {token}` logs the socket in (a bad token refuses the connection with a
 * `connect_error` whose `data` is `{code, message}`); without a token it is anonymous, as in SPEC section 3.
 * A logged-in socket's messages carry its address as `user`, and it counts for its user's presence until
 * socket.io's heartbeat (or a disconnect) says it is gone.
 */
export class SocketIoUserPush implements UserPush {
  #io: Server | undefined;

  constructor(
    private readonly deps: FrontEndDeps,
    private readonly settings: FrontEndSettings = {},
  ) {}

  /** Starts serving users on `server`; what they send goes to `forward`. */
  attach(http: NodeHttpServer, forward: ForwardMessage): void {
    // Upgrades elsewhere are the server's to refuse, not socket.io's to destroy.
    const { heartbeatMs } = this.settings;
    const io = new Server(http.server, {
      maxHttpBufferSize: MAX_PACKET_BYTES,
      destroyUpgrade: false,
      ...(heartbeatMs === undefined ? {} : { pingInterval: heartbeatMs, pingTimeout: heartbeatMs }),
    });
    http.claimUpgrades('/socket.io/', { charged: true, requests: true });
    coalesceEngineWrites(io.engine);
    io.use((socket, next) => {
      const token: unknown = socket.handshake.auth?.token;
      if (token === undefined || token === null) {
        if (!this.deps.privateNode) return next();
        return next(Object.assign(new Error(AUTH_REQUIRED.message), { data: AUTH_REQUIRED }));
      }
      const checked = authenticateConnection(this.deps.accounts, token, this.deps.errors);
      if (checked.ok) {
        (socket.data as ConnectionData).user = checked.user;
        return next();
      }
      next(Object.assign(new Error(checked.error.message), { data: checked.error }));
    });
    // One handler of each kind for every socket (socket.io calls it with the socket as `this`), not closures
    // made per connection: an idle user holds no state of this front end's but its login (see `ConnectionData`).
    const push = this;
    function onMsg(this: Socket, payload: unknown, ack?: unknown): void {
      void push.#onMsg(this, forward, payload, ack);
    }
    function onOlder(this: Socket, query: unknown, ack?: unknown): void {
      push.#onOlder(this, query, ack);
    }
    function onClosed(this: Socket): void {
      const user = userOf(this);
      if (user) notePresence(push.deps.accounts, push.deps.errors, 'closed', user, this.id, TRANSPORT);
    }
    io.on('connection', (socket) => {
      const { registry, accounts, errors } = this.deps;
      const user = userOf(socket);
      boundSendBuffer(socket);
      socket.emit('hello', { node: registry.self, ...(user ? { user: user.user } : {}) });
      socket.emit('nodes', nodesForUsers(registry.list(), this.deps.verifiedNode));
      const { auth, query } = socket.handshake;
      const since = historyCursor(auth?.since) ?? historyCursor(query.since);
      const page = this.deps.history({ since, viewer: viewerOf(user) });
      // The assignment-era clients read the first argument only: the list, as before. The second says whether
      // older messages are kept, and from which id to ask for them (`older`).
      socket.emit('history', page.messages, pageInfo(page));
      socket.emit('mesh', this.deps.mesh());
      if (user) {
        void socket.join(userRoom(user.name));
        notePresence(accounts, errors, 'opened', user, socket.id, TRANSPORT);
        socket.on('disconnect', onClosed);
      }
      socket.on('msg', onMsg);
      socket.on('older', onOlder);
      releaseUpgradeRequest(socket);
    });
    this.#io = io;
  }

  /** The connection's budget, made at its first `msg` or `older`: one an idle user never needs. */
  #budgetOf(socket: Socket): ConnectionBudget | undefined {
    const { limits } = this.deps;
    if (!limits) return undefined;
    const data = socket.data as ConnectionData;
    data.budget ??= limits.connectionBudget(clientOfSocket(socket));
    return data.budget;
  }

  async #onMsg(socket: Socket, forward: ForwardMessage, payload: unknown, ack?: unknown): Promise<void> {
    const user = userOf(socket);
    // Before the payload is looked at: a refusal must cost less than the send it prevents.
    const budget = this.#budgetOf(socket);
    const refused = budget && this.deps.limits?.admit(budget, user?.name);
    if (refused) {
      if (refused.cutOff) {
        this.#cutOff(socket, refused.error);
        return;
      }
      if (typeof ack === 'function') ack(refusedSend(refused.error));
      else socket.emit('error', { error: refused.error });
      return;
    }
    const outcome = await sendFromUser(forward, payload, this.deps.errors, socket.id, user);
    if (typeof ack === 'function') ack(outcome);
    else if (!outcome.ok) socket.emit('error', { error: outcome.error });
  }

  #onOlder(socket: Socket, query: unknown, ack?: unknown): void {
    // A page of history costs the node more than a send refused: it takes from the same budget.
    const budget = this.#budgetOf(socket);
    const refused = budget && this.deps.limits?.admit(budget, undefined);
    if (refused?.cutOff) {
      this.#cutOff(socket, refused.error);
      return;
    }
    const request = refused ? undefined : olderRequest(query);
    const answer = refused
      ? { ok: false, error: refused.error }
      : request
        ? {
            ok: true,
            ...olderAnswer(this.deps.olderHistory({ ...request, viewer: viewerOf(userOf(socket)) })),
          }
        : { ok: false, error: INVALID_HISTORY_REQUEST };
    if (typeof ack === 'function') ack(answer);
    else socket.emit('older', answer);
  }

  /**
   * Closes a socket that kept sending over its budget, telling it why (`error` with `closed: true`), and keeps
   * its address out for the penalty: socket.io decodes every event before any budget is checked, so a flooder
   * is cheapest gone.
   */
  #cutOff(socket: Socket, error: RateLimitedError): void {
    if (!socket.connected) return;
    socket.emit('error', { error });
    this.deps.addresses?.penalize(clientOfSocket(socket), this.deps.limits?.penaltyMs ?? 0);
    // Under a WebSocket transport, what the flooder still sends is not even read (long-polling requests are
    // charged to the address's HTTP budget, which the penalty has just emptied).
    stopReading((socket.conn as unknown as { transport?: { socket?: unknown } }).transport?.socket);
    socket.disconnect(true);
  }

  pushStatus(update: StatusUpdate): void {
    const audience = statusAudienceOf(update);
    if (audience === undefined) this.#io?.emit('status', update);
    else this.#toUsers(audience, 'status', update);
  }

  pushMessage(message: HistoryEntry, except?: string): number {
    const io = this.#io;
    if (!io) return 0;
    const audience = audienceOf(message);
    if (audience !== undefined) return this.#toUsers(audience, 'msg', message, except);
    const sockets = io.of('/').sockets;
    if (except !== undefined && sockets.has(except)) {
      // The sender alone is connected (a common case for a sending node): nothing to encode or send.
      if (sockets.size === 1) return 0;
      io.except(except).emit('msg', message);
      return sockets.size - 1;
    }
    if (sockets.size === 0) return 0;
    io.emit('msg', message);
    return sockets.size;
  }

  /** Emits to the sockets logged in as one of `addresses` (a direct message's parties), but `except`. */
  #toUsers(addresses: readonly string[], event: string, payload: object, except?: string): number {
    let sent = 0;
    for (const socket of this.#io?.of('/').sockets.values() ?? []) {
      const user = userOf(socket);
      if (!user || socket.id === except || !addresses.includes(user.user)) continue;
      socket.emit(event, payload);
      sent++;
    }
    return sent;
  }

  pushNodes(nodes: readonly NodeRecord[]): void {
    this.#io?.emit('nodes', nodesForUsers(nodes, this.deps.verifiedNode));
  }

  pushMesh(graph: MeshGraph): void {
    this.#io?.emit('mesh', graph);
  }

  pushPresence(change: PresenceChange): void {
    this.#io?.emit('presence', change);
  }

  disconnectUser(name: string): number {
    const io = this.#io;
    if (!io) return 0;
    const sockets = io.of('/').adapter.rooms.get(userRoom(name))?.size ?? 0;
    io.in(userRoom(name)).disconnectSockets(true);
    return sockets;
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
