import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import type { AuthenticatedUser } from '../../application/accounts/authenticate.js';
import type { PresenceChange } from '../../application/accounts/presence.js';
import type { ForwardMessage } from '../../application/messaging/forward-message.js';
import type { Viewer } from '../../application/messaging/read-history.js';
import type { UserPush } from '../../application/ports/user-push.js';
import type { HistoryEntry, StatusUpdate } from '../../domain/delivery.js';
import { audienceOf, statusAudienceOf } from '../../domain/direct-message.js';
import type { MeshGraph } from '../../domain/mesh-graph.js';
import type { NodeRecord } from '../../domain/node-record.js';
import type { RateLimitedConnection } from '../http/http-rate-limits.js';
import type { NodeHttpServer } from '../http/node-http-server.js';
import {
  AUTH_REQUIRED,
  authenticateConnection,
  notePresence,
  WS_CLOSE_ACCOUNT_REMOVED,
  WS_CLOSE_UNAUTHENTICATED,
} from './connection-auth.js';
import { historyCursor, olderAnswer, pageInfo } from './history-cursor.js';
import { nodesForUsers } from './node-list.js';
import { INVALID_HISTORY_REQUEST, olderRequest } from './older-request.js';
import { type FrontEndDeps, type FrontEndSettings, sendFromUser } from './send-from-user.js';
import type { ConnectionBudget } from './send-limits.js';
import { stopReading } from './stop-reading.js';

export const WS_PATH = '/ws';
const MAX_FRAME_BYTES = 512 * 1024;
/** A user whose unsent frames pass this is too slow to keep up; it is disconnected rather than buffered. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
const HEARTBEAT_MS = 30_000;
/** How long a connection that broke the protocol has to complete the close before its socket is cut. */
const CLOSE_GRACE_MS = 2_000;
/** Refusals are not queued behind this much unsent data: a flooder that does not read gets no more of them. */
const MAX_REFUSALS_BUFFERED = 64 * 1024;
const TRANSPORT = 'ws';
/** The `/ws` close code for a connection that kept sending over its budget (4000 + HTTP's 429). */
export const WS_CLOSE_RATE_LIMITED = 4429;
/** How long a private node waits for a connection's `auth` frame before it refuses the connection. */
const AUTH_WAIT_MS = 5_000;

/**
 * Users on a plain WebSocket at `/ws` (SPEC section 3): JSON text frames. On connect: `hello`, `nodes`, one
 * `history` frame (what the user missed since `/ws?since=<cursor>`, else all kept) and `mesh`; then `msg`,
 * `status`, `nodes`, `mesh`, `presence` and `ack` frames. A frame that cannot be understood is answered with an
 * `error` frame; the connection stays open.
 *
 * A first frame `{"type": "auth", "token"}` logs the connection in: it is answered `{"type": "auth", "ok": true,
 * "user"}`, or with an `error` frame and a close (code 4401). A connection that sends no such frame is
 * anonymous, as in SPEC section 3. The heartbeat pings every connection each `heartbeatMs` and closes one that
 * did not answer the previous ping, so a dead connection is gone within two periods and its user offline.
 */
export class WsUserPush implements UserPush {
  readonly #wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  readonly #alive = new WeakSet<WebSocket>();
  /** Each connection's id, so a message is not pushed back to the connection that sent it. */
  readonly #ids = new WeakMap<WebSocket, string>();
  /** The account each logged-in connection stands for. */
  readonly #users = new WeakMap<WebSocket, AuthenticatedUser>();
  /** Connections that have sent a frame: only the first may log in. */
  readonly #spoke = new WeakSet<WebSocket>();
  /** Each connection's frame budget. */
  readonly #budgets = new WeakMap<WebSocket, ConnectionBudget>();
  /**
   * The client address of each connection (its socket's address and `X-Forwarded-For`), for the address a
   * cut-off connection is charged to: a copy of those two, so the upgrade request itself (its headers, raw
   * headers and parser state) is let go after the handshake, as socket.io's connections let theirs go.
   */
  readonly #clients = new WeakMap<WebSocket, RateLimitedConnection>();
  /** The history cursor each connection came with, for the direct messages it is sent once logged in. */
  readonly #since = new WeakMap<WebSocket, number>();
  #nextId = 0;
  #heartbeat: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: FrontEndDeps,
    private readonly settings: FrontEndSettings = {},
  ) {}

  /** Starts serving users on `server`; what they send goes to `forward`. */
  attach(http: NodeHttpServer, forward: ForwardMessage): void {
    this.#wss.on('connection', (ws, request: IncomingMessage) => this.#accept(ws, request, forward));
    http.claimUpgrades(WS_PATH, { charged: true });
    http.server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      if ((request.url ?? '').split('?')[0] === WS_PATH) {
        this.#wss.handleUpgrade(request, socket, head, (ws) => this.#wss.emit('connection', ws, request));
      }
    });
    const period = this.settings.heartbeatMs ?? HEARTBEAT_MS;
    this.#heartbeat = setInterval(() => this.#checkAlive(), period).unref();
  }

  #accept(ws: WebSocket, request: IncomingMessage, forward: ForwardMessage): void {
    this.#alive.add(ws);
    this.#ids.set(ws, `ws-${++this.#nextId}`);
    const budget = this.deps.limits?.connectionBudget(request);
    if (budget) this.#budgets.set(ws, budget);
    this.#clients.set(ws, clientOf(request));
    ws.on('pong', () => this.#alive.add(ws));
    // ws has already started the closing handshake with the right code (1009 for an oversized frame, 1002 for
    // a protocol error): terminating here would drop that close frame (the client saw 1006). The socket is cut
    // after a grace period only, for a client that never answers the close.
    ws.on('error', () => setTimeout(() => ws.terminate(), CLOSE_GRACE_MS).unref());
    const query = new URL(request.url ?? '/', 'http://node').searchParams.get('since') ?? undefined;
    const since = historyCursor(query);
    if (since !== undefined) this.#since.set(ws, since);
    if (this.deps.privateNode) {
      // A private node tells a connection nothing until it has logged in, and waits only so long for that.
      const wait = setTimeout(() => this.#refuseAnonymous(ws), this.settings.authWaitMs ?? AUTH_WAIT_MS);
      wait.unref();
      ws.once('close', () => clearTimeout(wait));
    } else this.#greet(ws);
    ws.on('close', () => {
      const user = this.#users.get(ws);
      if (user) notePresence(this.deps.accounts, this.deps.errors, 'closed', user, this.#idOf(ws), TRANSPORT);
    });
    ws.on('message', async (data, isBinary) => {
      // A connection being closed (a refused login) is not served any more, not even anonymously.
      if (ws.readyState !== ws.OPEN) return;
      if (this.#refused(ws)) return;
      const frame = isBinary ? undefined : parseFrame(data.toString());
      const first = !this.#spoke.has(ws);
      this.#spoke.add(ws);
      if (frame?.type === 'auth' && first) {
        this.#logIn(ws, frame.token);
        return;
      }
      if (this.deps.privateNode && !this.#users.has(ws)) {
        this.#refuseAnonymous(ws);
        return;
      }
      if (frame?.type === 'older') {
        const request = olderRequest(frame);
        const ref = typeof frame.ref === 'string' || typeof frame.ref === 'number' ? { ref: frame.ref } : {};
        if (!request) {
          send(ws, { type: 'error', ...ref, error: INVALID_HISTORY_REQUEST });
          return;
        }
        const page = this.deps.olderHistory({ ...request, viewer: this.#viewerOf(ws) });
        send(ws, { type: 'older', ...ref, ok: true, ...olderAnswer(page) });
        return;
      }
      if (frame?.type !== 'msg') {
        send(ws, {
          type: 'error',
          error: {
            code: 'invalid_frame',
            message:
              frame?.type === 'auth'
                ? 'Log in with the first frame of a connection only; this one stays as it is.'
                : 'Send JSON text frames like {"type":"msg","to":"<node id>","msg":"<text>"}.',
          },
        });
        return;
      }
      const user = this.#users.get(ws);
      const outcome = await sendFromUser(forward, frame, this.deps.errors, this.#ids.get(ws), user);
      const ref = typeof frame.ref === 'string' || typeof frame.ref === 'number' ? { ref: frame.ref } : {};
      send(ws, { type: 'ack', ...ref, ...outcome });
    });
  }

  /**
   * Takes the frame from the connection's and its account's budgets, before it is parsed. A refused frame is
   * answered with an error frame, unless the client is not even reading them (then it is dropped unanswered).
   */
  #refused(ws: WebSocket): boolean {
    const { limits } = this.deps;
    const budget = this.#budgets.get(ws);
    if (!limits || !budget) return false;
    const refused = limits.admit(budget, this.#users.get(ws)?.name);
    if (!refused) return false;
    if (ws.bufferedAmount < MAX_REFUSALS_BUFFERED) send(ws, { type: 'error', error: refused.error });
    if (refused.cutOff) {
      // It ignores its refusals: closed (4429), its address kept out for the penalty, and cut for good if it
      // does not complete the close.
      const client = this.#clients.get(ws);
      if (client) this.deps.addresses?.penalize(client, limits.penaltyMs);
      stopReading(ws, CLOSE_GRACE_MS);
      ws.close(WS_CLOSE_RATE_LIMITED, 'rate limited');
    }
    return true;
  }

  /** The frames a connection gets once it may read: who this node is, the nodes, history and the map. */
  #greet(ws: WebSocket, viewer?: Viewer): void {
    const { registry } = this.deps;
    send(ws, { type: 'hello', node: registry.self });
    send(ws, { type: 'nodes', nodes: nodesForUsers(registry.list(), this.deps.verifiedNode) });
    const page = this.deps.history({ since: this.#since.get(ws), viewer });
    send(ws, { type: 'history', messages: page.messages, ...pageInfo(page) });
    send(ws, { type: 'mesh', ...this.deps.mesh() });
  }

  /** A private node's answer to a connection that has not logged in: why, and a close. */
  #refuseAnonymous(ws: WebSocket): void {
    if (this.#users.has(ws) || ws.readyState !== ws.OPEN) return;
    send(ws, { type: 'error', error: AUTH_REQUIRED });
    ws.close(WS_CLOSE_UNAUTHENTICATED, 'auth required');
  }

  /** Who a connection reads history as: its account once logged in, else anonymous. */
  #viewerOf(ws: WebSocket): Viewer | undefined {
    const user = this.#users.get(ws);
    return user && { name: user.name, address: user.user, since: user.accountCreatedAt };
  }

  #idOf(ws: WebSocket): string {
    return this.#ids.get(ws) ?? 'ws-?';
  }

  /** The first frame was `auth`: the connection becomes that user, or is told why not and closed. */
  #logIn(ws: WebSocket, token: unknown): void {
    const checked = authenticateConnection(this.deps.accounts, token, this.deps.errors);
    if (!checked.ok) {
      send(ws, { type: 'error', error: checked.error });
      ws.close(checked.error.code === 'unauthenticated' ? WS_CLOSE_UNAUTHENTICATED : 1011, 'not logged in');
      return;
    }
    const { user } = checked;
    this.#users.set(ws, user);
    send(ws, { type: 'auth', ok: true, user: user.user });
    const viewer = { name: user.name, address: user.user, since: user.accountCreatedAt };
    if (this.deps.privateNode) this.#greet(ws, viewer);
    else {
      // The history sent on connect was an anonymous one: the user's direct messages follow, as a second frame.
      const since = this.#since.get(ws);
      const page = this.deps.history({ since, viewer, directOnly: true });
      send(ws, { type: 'history', messages: page.messages, ...pageInfo(page) });
    }
    notePresence(this.deps.accounts, this.deps.errors, 'opened', checked.user, this.#idOf(ws), TRANSPORT);
  }

  #checkAlive(): void {
    for (const ws of this.#wss.clients) {
      if (!this.#alive.has(ws)) {
        ws.terminate();
        continue;
      }
      this.#alive.delete(ws);
      ws.ping();
    }
  }

  // Per message: with no `/ws` connection (users all on socket.io, say) no frame is even built.
  pushStatus(update: StatusUpdate): void {
    if (this.#wss.clients.size === 0) return;
    this.#broadcast({ type: 'status', ...update }, undefined, statusAudienceOf(update));
  }

  pushMessage(message: HistoryEntry, except?: string): number {
    if (this.#wss.clients.size === 0) return 0;
    return this.#broadcast({ type: 'msg', ...message }, except, audienceOf(message));
  }

  pushNodes(nodes: readonly NodeRecord[]): void {
    this.#broadcast({ type: 'nodes', nodes: nodesForUsers(nodes, this.deps.verifiedNode) });
  }

  pushMesh(graph: MeshGraph): void {
    this.#broadcast({ type: 'mesh', ...graph });
  }

  pushPresence(change: PresenceChange): void {
    this.#broadcast({ type: 'presence', ...change });
  }

  disconnectUser(name: string): number {
    let closed = 0;
    for (const ws of this.#wss.clients) {
      if (this.#users.get(ws)?.name !== name) continue;
      ws.close(WS_CLOSE_ACCOUNT_REMOVED, 'account removed');
      closed++;
    }
    return closed;
  }

  get connectedUsers(): number {
    return this.#wss.clients.size;
  }

  /** Sends to every open connection but `except`; with an `audience`, only to those logged in as one of it. */
  #broadcast(frame: object, except?: string, audience?: readonly string[]): number {
    // Encoded once for every connection, and only when one of them takes it (a node whose users are all on
    // socket.io pays nothing here per message).
    let text: string | undefined;
    let sent = 0;
    for (const ws of this.#wss.clients) {
      if (ws.readyState !== ws.OPEN || (except !== undefined && this.#ids.get(ws) === except)) continue;
      if (audience !== undefined && !audience.includes(this.#users.get(ws)?.user ?? '')) continue;
      if (this.deps.privateNode && !this.#users.has(ws)) continue;
      if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
        ws.terminate();
        continue;
      }
      text ??= JSON.stringify(frame);
      ws.send(text);
      sent++;
    }
    return sent;
  }

  async close(): Promise<void> {
    clearInterval(this.#heartbeat);
    for (const ws of this.#wss.clients) ws.terminate();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
  }
}

function send(ws: WebSocket, frame: object): void {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame));
}

function parseFrame(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** What rate limits read of an upgrade request to name its client, copied out of it. */
function clientOf(request: IncomingMessage): RateLimitedConnection {
  const forwarded = request.headers['x-forwarded-for'];
  return {
    socket: { remoteAddress: request.socket.remoteAddress },
    headers: forwarded === undefined ? {} : { 'x-forwarded-for': forwarded },
  };
}
