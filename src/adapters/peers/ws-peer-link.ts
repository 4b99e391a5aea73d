import type { IncomingHttpHeaders } from 'node:http';
import { isIP, connect as netConnect, type TcpNetConnectOpts } from 'node:net';
import type { Duplex } from 'node:stream';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';
import { type ClientOptions, WebSocket } from 'ws';
import { PeerCallFailed } from '../../application/errors.js';
import { type AuthenticatedSender, FRAME_TAG_LENGTH } from './link-auth.js';
import { LINK_PATH, MAX_LINK_FRAME_BYTES, parseLinkAnswer } from './link-frames.js';

export interface PeerLinkSettings {
  /** Calls sent and not yet answered on one link; more wait (within their timeout) for a slot. */
  readonly maxInFlight: number;
  /** Calls that may wait for a slot; one more is refused at once with `peer_busy`. */
  readonly maxWaiting: number;
  /** Bytes queued in the socket and not yet written; past it a call is refused with `peer_busy`. */
  readonly maxBufferedBytes: number;
  /** A ping every interval; a link whose peer did not pong (or answer) since the previous one is dropped. */
  readonly heartbeatMs: number;
  /** Deadline for the upgrade to complete. */
  readonly openTimeoutMs: number;
}

export const PEER_LINK_DEFAULTS: PeerLinkSettings = {
  maxInFlight: 64,
  maxWaiting: 5_000,
  maxBufferedBytes: 8 * 1024 * 1024,
  heartbeatMs: 15_000,
  openTimeoutMs: 5_000,
};

/** Opens a link's socket: `net.connect`, or `tls.connect` for `https` peers (a spy in tests). */
export type LinkSocketConnect = (options: TcpNetConnectOpts & ConnectionOptions, secure: boolean) => Duplex;

const connectSocket: LinkSocketConnect = (options, secure) =>
  secure ? tlsConnect(options) : netConnect(options);

/** How `WsPeerLink.open` reaches the peer; by default the host name is resolved and connected to as usual. */
export interface LinkDial {
  /**
   * The one address the socket connects to (the peer's host name, resolved and checked against the address
   * policy by the caller): no lookup happens in between. The URL's host name stays the `Host` header and the TLS
   * server name, so the certificate is still checked against the name.
   */
  readonly address?: string;
  readonly connect?: LinkSocketConnect;
  /** Headers of the upgrade request (the network key's proof, `Meshchat-Network`). */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * Whether the `101` answer's headers prove what the caller needs (the network key, proved back); a link whose
   * answer does not is closed before any call goes on it (`LinkUnproven`). Every answer is taken when absent.
   */
  readonly proven?: (headers: IncomingHttpHeaders) => boolean;
  /**
   * Reads the `101` answer to a node-authentication offer sent in `headers` (`link-auth.ts`): the sealer that
   * tags every request frame, and the acceptor's id, when the peer took the offer; else `undefined` (the link is
   * unauthenticated).
   */
  readonly authenticated?: (headers: IncomingHttpHeaders) => AuthenticatedSender | undefined;
}

/** The peer took the upgrade but did not prove the network key: it is not a member, and gets no call. */
export class LinkUnproven extends Error {}

/** No connection could be made to the peer at all (it is down, or its address is wrong). */
export class LinkUnreachable extends Error {}

/** The peer answered the upgrade with something other than `101`: it offers no link at that address. */
export class LinkRefused extends Error {
  constructor(readonly status: number) {
    super(`The peer answered the link upgrade with ${status}.`);
  }
}

const CONNECT_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

export interface LinkReply {
  readonly status: number;
  readonly text: string;
  /** The answer's `Meshchat-*` headers, as the peer sent them. */
  readonly headers?: Readonly<Record<string, string>>;
}

interface Call {
  readonly id: number;
  readonly frame: string;
  readonly resolve: (reply: LinkReply) => void;
  readonly reject: (error: PeerCallFailed) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * The opening side of one peer link: a WebSocket to `<base>/peer` carrying requests and their answers
 * (`link-frames.ts`). Calls are bounded in flight and waiting, so a slow peer costs this node at most
 * `maxInFlight` answers' worth of memory plus the waiting calls' own bodies; a link that stops answering
 * pings is dropped. When the link closes, every call on it rejects with `peer_unreachable`: the caller's own
 * retry (the courier's, the membership round's) decides what happens next.
 */
export class WsPeerLink {
  /** Calls in flight by id; a new Map each time an answer empties it, so its tables stay young (`Courier`). */
  #pending = new Map<number, Call>();
  readonly #waiting: Call[] = [];
  readonly #closeListeners = new Set<() => void>();
  readonly #heartbeat: NodeJS.Timeout;
  #nextId = 0;
  #alive = true;
  #closed = false;
  #closeWhenIdle = false;

  private constructor(
    private readonly ws: WebSocket,
    readonly base: string,
    private readonly settings: PeerLinkSettings,
    /** Tags each request frame when the peer authenticated this link as this node (`link-auth.ts`). */
    private readonly sealer?: AuthenticatedSender,
  ) {
    ws.on('message', (data, isBinary) => this.#answered(isBinary ? undefined : data.toString()));
    ws.on('pong', () => {
      this.#alive = true;
    });
    ws.on('close', () => this.#drop());
    ws.on('error', () => ws.terminate());
    this.#heartbeat = setInterval(() => {
      if (!this.#alive) return void ws.terminate();
      this.#alive = false;
      ws.ping();
    }, settings.heartbeatMs).unref();
  }

  /**
   * Opens a link to the node at `base`, through `dial` when given; rejects with `LinkRefused`, or any other error
   * when it cannot connect.
   */
  static open(
    base: string,
    settings: PeerLinkSettings = PEER_LINK_DEFAULTS,
    dial: LinkDial = {},
  ): Promise<WsPeerLink> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${base.replace(/^http/, 'ws')}${LINK_PATH}`, {
        ...(dial.headers ? { headers: { ...dial.headers } } : {}),
        maxPayload: MAX_LINK_FRAME_BYTES,
        handshakeTimeout: settings.openTimeoutMs,
        perMessageDeflate: false,
        followRedirects: false,
        ...dialOptions(base, dial),
      });
      const fail = (error: Error) => {
        ws.removeAllListeners();
        ws.on('error', () => {});
        ws.terminate();
        reject(error);
      };
      ws.once('unexpected-response', (request, response) => {
        response.resume();
        request.destroy();
        fail(new LinkRefused(response.statusCode ?? 0));
      });
      ws.once('error', (error: NodeJS.ErrnoException) =>
        fail(CONNECT_ERRORS.has(error.code ?? '') ? new LinkUnreachable(error.message) : error),
      );
      let sealer: AuthenticatedSender | undefined;
      ws.once('upgrade', (response) => {
        if (dial.proven && !dial.proven(response.headers))
          fail(new LinkUnproven(`${base} took the link without proving the network key.`));
        sealer = dial.authenticated?.(response.headers);
      });
      ws.once('open', () => {
        ws.removeAllListeners();
        resolve(new WsPeerLink(ws, base, settings, sealer));
      });
    });
  }

  get isOpen(): boolean {
    return !this.#closed;
  }

  /**
   * Whether the peer took this link as authenticated as this node: the messages this node originates then need
   * no signature of their own on it (SPEC sections 7 and 8), since every frame carries the link's tag.
   */
  get provesSender(): boolean {
    return this.sealer !== undefined;
  }

  /** The id of the node that authenticated this link as this node (as its `101` said), if one did. */
  get authenticatedTo(): string | undefined {
    return this.sealer?.peer;
  }

  /** Calls sent and not answered, and calls waiting for a slot. */
  get load(): { readonly inFlight: number; readonly waiting: number } {
    return { inFlight: this.#pending.size, waiting: this.#waiting.length };
  }

  onClose(listener: () => void): void {
    this.#closeListeners.add(listener);
  }

  /**
   * One call over the link: resolves with the peer's status and answer text, whatever the status. Rejects with
   * `peer_timeout` after `timeoutMs` (waiting for a slot included), `peer_busy` past the bounds, and
   * `peer_unreachable` when the link is or becomes closed.
   */
  call(method: string, path: string, body: object | undefined, timeoutMs: number): Promise<LinkReply> {
    if (this.#closed) return Promise.reject(this.#unreachable());
    if (this.#pending.size >= this.settings.maxInFlight && this.#waiting.length >= this.settings.maxWaiting) {
      return Promise.reject(
        new PeerCallFailed('peer_busy', `Too many calls are already waiting for ${this.base}.`),
      );
    }
    const id = ++this.#nextId;
    const frame = JSON.stringify(body === undefined ? { id, method, path } : { id, method, path, body });
    // A tagged frame is the tag's length longer on the wire.
    const room = this.sealer ? MAX_LINK_FRAME_BYTES - FRAME_TAG_LENGTH : MAX_LINK_FRAME_BYTES;
    if (Buffer.byteLength(frame) > room) {
      return Promise.reject(
        new PeerCallFailed(
          'peer_rejected',
          `${method} ${path} is larger than a link frame may be.`,
          413,
          'body_too_large',
        ),
      );
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#forget(call);
        reject(new PeerCallFailed('peer_timeout', `${this.base} did not answer within ${timeoutMs} ms.`));
      }, timeoutMs);
      const call: Call = { id, frame, resolve, reject, timer };
      if (this.#pending.size < this.settings.maxInFlight) this.#send(call);
      else this.#waiting.push(call);
    });
  }

  close(): void {
    this.ws.terminate();
    this.#drop();
  }

  /**
   * Closes the link once no call is in flight or waiting (at once when none is), so a link replaced by another
   * loses no call: the caller sends new calls down the other one meanwhile.
   */
  closeWhenIdle(): void {
    this.#closeWhenIdle = true;
    this.#closeIfIdle();
  }

  #closeIfIdle(): void {
    if (this.#closeWhenIdle && this.#pending.size === 0 && this.#waiting.length === 0) this.close();
  }

  #send(call: Call): void {
    if (this.ws.bufferedAmount > this.settings.maxBufferedBytes) {
      clearTimeout(call.timer);
      call.reject(new PeerCallFailed('peer_busy', `${this.base} is not reading what this node sends.`));
      return;
    }
    this.#pending.set(call.id, call);
    // Tagged here, in the order frames leave: a call that waited, or gave up waiting, keeps the count right.
    this.ws.send(this.sealer ? this.sealer.seal(call.frame) : call.frame);
  }

  #answered(text: string | undefined): void {
    const answer = text === undefined ? undefined : parseLinkAnswer(text);
    if (!answer) {
      // A peer that breaks the frame format is not trusted with anything else on this link.
      this.ws.terminate();
      return;
    }
    this.#alive = true;
    const call = this.#pending.get(answer.id);
    if (!call) return;
    this.#pending.delete(answer.id);
    if (this.#pending.size === 0) this.#pending = new Map();
    clearTimeout(call.timer);
    call.resolve(
      answer.headers
        ? { status: answer.status, text: answer.body, headers: answer.headers }
        : { status: answer.status, text: answer.body },
    );
    this.#pump();
  }

  /** A call that timed out leaves its slot (a late answer is ignored) or its place in the queue. */
  #forget(call: Call): void {
    if (this.#pending.get(call.id) === call) this.#pending.delete(call.id);
    const at = this.#waiting.indexOf(call);
    if (at >= 0) this.#waiting.splice(at, 1);
    this.#pump();
  }

  #pump(): void {
    while (!this.#closed && this.#pending.size < this.settings.maxInFlight && this.#waiting.length > 0) {
      this.#send(this.#waiting.shift() as Call);
    }
    this.#closeIfIdle();
  }

  #drop(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#heartbeat);
    const calls = [...this.#pending.values(), ...this.#waiting.splice(0)];
    this.#pending.clear();
    for (const call of calls) {
      clearTimeout(call.timer);
      call.reject(this.#unreachable());
    }
    for (const listener of this.#closeListeners) listener();
  }

  #unreachable(): PeerCallFailed {
    return new PeerCallFailed('peer_unreachable', `The link to ${this.base} closed.`);
  }
}

/** `ws` options that open the socket as `dial` says: to its address, with the host name kept for TLS. */
function dialOptions(base: string, dial: LinkDial): Pick<ClientOptions, 'createConnection'> {
  const { address, connect = connectSocket } = dial;
  if (address === undefined && dial.connect === undefined) return {};
  const url = new URL(base);
  const secure = url.protocol === 'https:';
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const createConnection = (options: TcpNetConnectOpts & ConnectionOptions) =>
    connect(
      {
        ...options,
        // `path` is the request's ('/peer'): to net.connect it would name a Unix socket.
        path: undefined,
        ...(address === undefined ? {} : { host: address }),
        ...(secure ? { servername: isIP(hostname) ? '' : hostname } : {}),
      } as TcpNetConnectOpts & ConnectionOptions,
      secure,
    );
  return { createConnection: createConnection as unknown as ClientOptions['createConnection'] };
}
