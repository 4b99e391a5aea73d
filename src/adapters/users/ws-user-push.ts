import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import type { ForwardMessage } from '../../application/messaging/forward-message.js';
import type { UserPush } from '../../application/ports/user-push.js';
import type { HistoryEntry, StatusUpdate } from '../../domain/delivery.js';
import type { NodeRecord } from '../../domain/node-record.js';
import type { MeshGraph } from '../../domain/mesh-graph.js';
import type { NodeHttpServer } from '../http/node-http-server.js';
import { boundedHistory, historyCursor } from './history-cursor.js';
import { type FrontEndDeps, sendFromUser } from './send-from-user.js';

export const WS_PATH = '/ws';
const MAX_FRAME_BYTES = 512 * 1024;
/** A user whose unsent frames pass this is too slow to keep up; it is disconnected rather than buffered. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
const HEARTBEAT_MS = 30_000;

/**
 * Users on a plain WebSocket at `/ws` (SPEC section 3): JSON text frames. On connect: `hello`, `nodes`, one
 * `history` frame (what the user missed since `/ws?since=<cursor>`, else all kept) and `mesh`; then `msg`,
 * `status`, `nodes`, `mesh` and `ack` frames. A frame that cannot be understood is answered with an `error`
 * frame; the connection stays open.
 */
export class WsUserPush implements UserPush {
  readonly #wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  readonly #alive = new WeakSet<WebSocket>();
  /** Each connection's id, so a message is not pushed back to the connection that sent it. */
  readonly #ids = new WeakMap<WebSocket, string>();
  #nextId = 0;
  #heartbeat: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: FrontEndDeps,
  ) {}

  /** Starts serving users on `server`; what they send goes to `forward`. */
  attach(http: NodeHttpServer, forward: ForwardMessage): void {
    this.#wss.on('connection', (ws, request: IncomingMessage) => this.#accept(ws, request, forward));
    http.claimUpgrades(WS_PATH);
    http.server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      if ((request.url ?? '').split('?')[0] === WS_PATH) {
        this.#wss.handleUpgrade(request, socket, head, (ws) => this.#wss.emit('connection', ws, request));
      }
    });
    this.#heartbeat = setInterval(() => this.#checkAlive(), HEARTBEAT_MS).unref();
  }

  #accept(ws: WebSocket, request: IncomingMessage, forward: ForwardMessage): void {
    const { registry } = this.deps;
    this.#alive.add(ws);
    this.#ids.set(ws, `ws-${++this.#nextId}`);
    ws.on('pong', () => this.#alive.add(ws));
    ws.on('error', () => ws.terminate());
    send(ws, { type: 'hello', node: registry.self });
    send(ws, { type: 'nodes', nodes: registry.list() });
    const since = new URL(request.url ?? '/', 'http://node').searchParams.get('since') ?? undefined;
    send(ws, { type: 'history', messages: boundedHistory(this.deps.history(historyCursor(since))) });
    send(ws, { type: 'mesh', ...this.deps.mesh() });
    ws.on('message', async (data, isBinary) => {
      const frame = isBinary ? undefined : parseFrame(data.toString());
      if (frame?.type !== 'msg') {
        send(ws, {
          type: 'error',
          error: {
            code: 'invalid_frame',
            message: 'Send JSON text frames like {"type":"msg","to":"<node id>","msg":"<text>"}.',
          },
        });
        return;
      }
      const outcome = await sendFromUser(forward, frame, this.deps.errors, this.#ids.get(ws));
      const ref = typeof frame.ref === 'string' || typeof frame.ref === 'number' ? { ref: frame.ref } : {};
      send(ws, { type: 'ack', ...ref, ...outcome });
    });
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

  pushStatus(update: StatusUpdate): void {
    this.#broadcast({ type: 'status', ...update });
  }

  pushMessage(message: HistoryEntry, except?: string): number {
    return this.#broadcast({ type: 'msg', ...message }, except);
  }

  pushNodes(nodes: readonly NodeRecord[]): void {
    this.#broadcast({ type: 'nodes', nodes });
  }

  pushMesh(graph: MeshGraph): void {
    this.#broadcast({ type: 'mesh', ...graph });
  }

  get connectedUsers(): number {
    return this.#wss.clients.size;
  }

  #broadcast(frame: object, except?: string): number {
    const text = JSON.stringify(frame);
    let sent = 0;
    for (const ws of this.#wss.clients) {
      if (ws.readyState !== ws.OPEN || (except !== undefined && this.#ids.get(ws) === except)) continue;
      if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
        ws.terminate();
        continue;
      }
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
