import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { NETWORK_PROOF_HEADER, type NetworkKey, proofRefusalMessage } from '../crypto/network-key.js';
import type { DirectAnswer, DirectRequest } from '../http/create-http-app.js';
import type { NodeHttpServer } from '../http/node-http-server.js';
import { acceptLinkAuth, type LinkAuthCheck, type LinkAuthSession } from './link-auth.js';
import {
  isCarriedAnswerHeader,
  LINK_PATH,
  type LinkRequest,
  MAX_LINK_FRAME_BYTES,
  parseLinkRequest,
} from './link-frames.js';

/**
 * The connection a link request comes on, as the app reads it (`c.env.incoming`): the link's client address,
 * taken when the upgrade came, so rate limits and the login throttle charge every frame to the link's peer.
 */
export interface LinkConnection {
  readonly socket: { readonly remoteAddress?: string };
  readonly headers: IncomingMessage['headers'];
  /** The upgrade proved the network key: every request on the link is a member's (`HttpAppDeps.networkKey`). */
  readonly networkKeyProven?: boolean;
  /**
   * The node the link is authenticated as (`link-auth.ts`): every request on it came from that node, so the
   * messages it originates need no signature of their own. Set only here, never from anything a request says.
   */
  readonly provenNode?: string;
}

/**
 * The node's HTTP API as the link drives it: the same app the HTTP server serves, and, when the app has it,
 * its way of running a route without HTTP (`undefined` for a request that must go through `fetch`).
 */
export interface LinkedApp {
  fetch(request: Request, env: { readonly incoming: LinkConnection }): Response | Promise<Response>;
  readonly direct?: (request: DirectRequest) => Promise<DirectAnswer> | undefined;
}

/** The HTTP budget per client address (`HttpRateLimits`): a `/peer` upgrade takes from it as a request does. */
export interface UpgradeLimits {
  /** Undefined when admitted, else the refusal, with the seconds to wait. */
  admitUpgrade(
    request: IncomingMessage,
  ): { readonly retryAfterSeconds: number; readonly code: string; readonly message: string } | undefined;
}

/** The peer would drop a frame this large: tell it, as an HTTP peer would refuse to read the answer. */
function tooLarge(frame: LinkRequest): string {
  const error = {
    code: 'answer_too_large',
    message: `The answer to ${frame.method} ${frame.path} is too large for a link.`,
  };
  return JSON.stringify({ id: frame.id, status: 502, body: JSON.stringify({ error }) });
}

/**
 * The answer's body as text, or `undefined` as soon as it passes `maxBytes`: the rest is not read (a download
 * of a file of gigabytes through a link is refused after one frame's worth, never held in memory).
 */
async function textWithin(response: Response, maxBytes: number): Promise<string | undefined> {
  // Read even when `Content-Length` already says too much: a stream cancelled before its first read may never
  // run its source's cleanup (an async generator not yet started skips its `finally`), and a file stays open.
  if (!response.body) return '';
  const pieces: Uint8Array[] = [];
  let size = 0;
  for await (const piece of response.body) {
    size += piece.byteLength;
    // Leaving the loop cancels the stream, which releases what the route was reading from.
    if (size > maxBytes) return undefined;
    pieces.push(piece);
  }
  return Buffer.concat(pieces).toString('utf8');
}

const EMPTY = new Uint8Array(0);

/** The network key's proof an upgrade request carries, if any. */
function proofOf(request: IncomingMessage): string | undefined {
  const header = request.headers[NETWORK_PROOF_HEADER.toLowerCase()];
  return Array.isArray(header) ? header[0] : header;
}

/** Frames read past the in-flight bound before the pause took hold (a socket chunk's worth); more is hostile. */
const MAX_BUFFERED_FRAMES = 4_096;

export interface LinkServerSettings {
  /** Requests of one link being run at once; past it the link is not read until one finishes. */
  readonly maxInFlight: number;
  /** Answers queued and not yet written to one link; past it the peer is too slow and the link is dropped. */
  readonly maxBufferedBytes: number;
  /** A ping every interval; a link whose peer did not pong since the previous one is dropped. */
  readonly heartbeatMs: number;
  /** Links accepted at once, from everyone; one more upgrade is answered 503 (the caller falls back to HTTP). */
  readonly maxLinks: number;
}

export const LINK_SERVER_DEFAULTS: LinkServerSettings = {
  maxInFlight: 64,
  maxBufferedBytes: 16 * 1024 * 1024,
  heartbeatMs: 15_000,
  maxLinks: 4_096,
};

/**
 * The accepting side of peer links (SPEC section 8): WebSocket upgrades at `/peer` on the node's own HTTP
 * server. Every request frame is run through the same Hono app as an HTTP request, with the link's upgrade
 * request as its connection, so every check, schema, limit, error answer and de-duplication of the route
 * applies unchanged: a link carries nothing the HTTP API would refuse, and its requests are charged to the
 * link's client under the rate limits of their routes. A message batch without headers skips `Request` and
 * `Response` (`LinkedApp.direct`), with the same checks and the same charge to the same client. The upgrade itself takes one request from the client's
 * HTTP budget (`UpgradeLimits`); past it, it is answered `429` with `Retry-After`. Only the calls node-to-node
 * traffic uses (GET, PUT, POST, DELETE on a path) are taken; a frame that is not one closes the link.
 */
export class WsLinkServer {
  readonly #wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_LINK_FRAME_BYTES,
    perMessageDeflate: false,
  });
  readonly #alive = new WeakSet<WebSocket>();
  /** Upgrades whose node-authentication offer verified, until the link is accepted. */
  readonly #sessions = new WeakMap<IncomingMessage, LinkAuthSession>();
  #heartbeat: NodeJS.Timeout | undefined;

  constructor(
    private readonly app: LinkedApp,
    private readonly settings: LinkServerSettings = LINK_SERVER_DEFAULTS,
    /** Charges each upgrade to its client's HTTP budget; none when absent (tests wiring by hand). */
    private readonly limits?: UpgradeLimits,
    /**
     * The network key (`--network-key`): an upgrade without a valid proof of it (`Meshchat-Network`, for
     * `GET /peer`) is answered `401 network_key_required`, and the requests of a link that proved it are taken
     * as a member's. Every upgrade is taken when absent.
     */
    private readonly networkKey?: Pick<NetworkKey, 'verify' | 'answer'>,
    /**
     * How an opener's offer to authenticate its link as a node is checked (`link-auth.ts`): the keys bound to
     * node ids and a verifier. Without it every link is unauthenticated (its messages checked one by one).
     */
    private readonly nodeAuth?: LinkAuthCheck,
  ) {
    this.#wss.on('headers', (headers: string[], request: IncomingMessage) => {
      // The `101` proves the key back to the caller, bound to its own proof (checked in `attach`).
      const proof = networkKey ? proofOf(request) : undefined;
      if (networkKey && proof !== undefined)
        headers.push(`${NETWORK_PROOF_HEADER}: ${networkKey.answer(proof, 101, EMPTY)}`);
      // It takes the caller's offer to authenticate the link with this side's own fresh key.
      const session = this.#sessions.get(request);
      if (session)
        for (const [name, value] of Object.entries(session.answer)) headers.push(`${name}: ${value}`);
    });
  }

  /** Links accepted and open now. */
  get accepted(): number {
    return this.#wss.clients.size;
  }

  attach(http: NodeHttpServer): void {
    http.claimUpgrades(LINK_PATH);
    http.server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      if ((request.url ?? '').split('?')[0] !== LINK_PATH) return;
      // As the HTTP middleware does, before anything else: a refused upgrade costs a map lookup.
      const refused = this.limits?.admitUpgrade(request);
      if (refused) {
        const body = JSON.stringify({ error: { code: refused.code, message: refused.message } });
        socket.on('error', () => socket.destroy());
        socket.end(
          'HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\nContent-Type: application/json\r\n' +
            `Retry-After: ${refused.retryAfterSeconds}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
        );
        return;
      }
      const unproven = this.networkKey?.verify(proofOf(request), request.method ?? 'GET', request.url ?? '');
      if (unproven) {
        const body = JSON.stringify({
          error: { code: 'network_key_required', message: proofRefusalMessage(unproven) },
        });
        socket.on('error', () => socket.destroy());
        socket.end(
          'HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Type: application/json\r\n' +
            `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
        );
        return;
      }
      if (this.#wss.clients.size >= this.settings.maxLinks) {
        socket.on('error', () => socket.destroy());
        socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      // Only now, past every refusal: a verify and a key agreement per upgrade the budget let through.
      const session = this.nodeAuth ? acceptLinkAuth(request.headers, this.nodeAuth) : undefined;
      if (session) this.#sessions.set(request, session);
      this.#wss.handleUpgrade(request, socket, head, (ws) => this.#accept(ws, request));
    });
    this.#heartbeat = setInterval(() => this.#checkAlive(), this.settings.heartbeatMs).unref();
  }

  #accept(ws: WebSocket, request: IncomingMessage): void {
    const session = this.#sessions.get(request);
    this.#sessions.delete(request);
    // Every frame is charged to the client the upgrade came from, even one still queued after the socket closed.
    const upgrade: LinkConnection = {
      socket: { remoteAddress: request.socket.remoteAddress },
      headers: request.headers,
      // Checked in `attach` before the upgrade was taken.
      ...(this.networkKey ? { networkKeyProven: true } : {}),
      ...(session ? { provenNode: session.node } : {}),
    };
    this.#alive.add(ws);
    ws.on('pong', () => this.#alive.add(ws));
    ws.on('error', () => ws.terminate());
    let running = 0;
    // ws still emits frames it had buffered after `pause()`: those wait here, bounded, for a free slot.
    const waiting: [LinkRequest, number][] = [];
    const run = async (frame: LinkRequest, bytes: number) => {
      running++;
      try {
        const answer = await this.#run(frame, bytes, upgrade);
        if (ws.readyState !== ws.OPEN) return;
        if (ws.bufferedAmount > this.settings.maxBufferedBytes) return void ws.terminate();
        ws.send(answer);
      } catch {
        // The app answers every error itself; anything else means this link cannot be trusted to go on.
        ws.terminate();
      } finally {
        running--;
        const next = waiting.shift();
        if (next) void run(...next);
        else if (ws.isPaused) ws.resume();
      }
    };
    ws.on('message', (data, isBinary) => {
      // Closing (after a bad frame, below): ws still hands over frames already read; none of them is run.
      if (ws.readyState !== ws.OPEN) return;
      const raw = isBinary ? undefined : data.toString();
      // On an authenticated link every frame carries its tag; one that does not verify ends the link.
      const text = session && raw !== undefined ? session.opener.open(raw) : raw;
      if (raw !== undefined && text === undefined) return void ws.close(1008, 'frame tag does not verify');
      const frame = text === undefined ? undefined : parseLinkRequest(text);
      if (text === undefined || !frame) return void ws.close(1008, 'not a link request frame');
      const bytes = Buffer.isBuffer(data) ? data.length : Buffer.byteLength(text);
      if (running < this.settings.maxInFlight) return void run(frame, bytes);
      ws.pause();
      if (waiting.push([frame, bytes]) > MAX_BUFFERED_FRAMES) ws.terminate();
    });
  }

  /**
   * Runs one request: straight through its route when the app takes it that way (a message batch: no `Request`,
   * no `Response`, the body not encoded and parsed again), else through `fetch` as an HTTP request. Either way it
   * is charged to the link's client, taken from the upgrade (`upgrade`), never from the frame.
   */
  async #run(frame: LinkRequest, bytes: number, upgrade: LinkConnection): Promise<string> {
    const { method, path, body: sent } = frame;
    // A request that carries headers goes through the app, whose middleware is what reads them.
    const direct = frame.headers && Object.keys(frame.headers).length > 0 ? undefined : this.app.direct;
    const answered = direct?.({ method, path, body: sent, bytes, incoming: upgrade });
    const result = answered ? await answered : await this.#fetch(frame, upgrade);
    if (result === undefined) return tooLarge(frame);
    const { status, text: body, headers } = result;
    const extensions = Object.fromEntries(
      Object.entries(headers).filter(([name]) => isCarriedAnswerHeader(name)),
    );
    const answer = JSON.stringify(
      Object.keys(extensions).length > 0
        ? { id: frame.id, status, body, headers: extensions }
        : { id: frame.id, status, body },
    );
    return Buffer.byteLength(answer) <= MAX_LINK_FRAME_BYTES ? answer : tooLarge(frame);
  }

  /** Runs one request through the app; `undefined` when its answer's body passes one frame's worth. */
  async #fetch(frame: LinkRequest, upgrade: LinkConnection): Promise<DirectAnswer | undefined> {
    const hasBody = frame.body !== undefined;
    const headers = new Headers(frame.headers);
    if (hasBody) headers.set('content-type', 'application/json');
    // Who the client is belongs to the connection, not to a frame: behind a tunnel the rate limits read the
    // X-Forwarded-For the tunnel wrote on the upgrade, and a frame's own would pick a fresh budget per request.
    headers.delete('x-forwarded-for');
    const forwarded = upgrade.headers['x-forwarded-for'];
    if (forwarded !== undefined)
      headers.set('x-forwarded-for', Array.isArray(forwarded) ? forwarded.join(', ') : forwarded);
    const request = new Request(`http://link${frame.path}`, {
      method: frame.method,
      headers,
      ...(hasBody ? { body: JSON.stringify(frame.body) } : {}),
    });
    const response = await this.app.fetch(request, { incoming: upgrade });
    const text = await textWithin(response, MAX_LINK_FRAME_BYTES);
    if (text === undefined) return undefined;
    return { status: response.status, text, headers: Object.fromEntries(response.headers) };
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

  async close(): Promise<void> {
    clearInterval(this.#heartbeat);
    for (const ws of this.#wss.clients) ws.terminate();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
  }
}
