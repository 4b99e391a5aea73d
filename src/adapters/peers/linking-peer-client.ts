import { PeerCallFailed } from '../../application/errors.js';
import type { NodeSigner } from '../../application/ports/node-signer.js';
import type { CallOptions } from '../../application/ports/peer-client.js';
import { MeshError } from '../../domain/errors.js';
import { normalizeNodeUrl } from '../../domain/node-record.js';
import type { PeerUrlPolicy } from '../../domain/peer-url-policy.js';
import { NETWORK_PROOF_HEADER } from '../crypto/network-key.js';
import {
  checkedAddress,
  ForbiddenPeerAddress,
  guardedDispatcher,
  type ResolveHost,
} from './guarded-dispatcher.js';
import {
  type AttemptFailure,
  LINK_ATTEMPT_DEFAULTS,
  type LinkAttemptSettings,
  LinkAttempts,
  MAX_REMEMBERED_PEERS,
} from './link-attempts.js';
import { offerLinkAuth } from './link-auth.js';
import { LINK_PATH } from './link-frames.js';
import {
  OfetchPeerClient,
  type OfetchPeerClientSettings,
  PEER_TIMEOUT_MS,
  type PeerAnswer,
} from './ofetch-peer-client.js';
import { answerText } from './peer-answers.js';
import { SignedBody } from './signed-body.js';
import {
  type LinkDial,
  LinkRefused,
  type LinkSocketConnect,
  LinkUnproven,
  LinkUnreachable,
  PEER_LINK_DEFAULTS,
  type PeerLinkSettings,
  WsPeerLink,
} from './ws-peer-link.js';

export interface LinkingPeerClientSettings extends OfetchPeerClientSettings {
  readonly link?: Partial<PeerLinkSettings>;
  readonly attempts?: Partial<LinkAttemptSettings>;
  /**
   * Which peers this node calls (`--allow-private-peers`); every one when absent. When private peers are not
   * allowed, a link is dialled only after its URL passes `urls.check` and its host resolves to public addresses
   * only, and its socket connects to exactly the address checked (`checkedAddress`); HTTP calls then go through
   * `guardedDispatcher` with the same resolver, unless `dispatcher` is given.
   */
  readonly urls?: PeerUrlPolicy;
  /** Resolves peers' host names under that policy; the system resolver by default (a fake in tests). */
  readonly resolve?: ResolveHost;
  /** Opens a link's socket to the checked address; `net.connect` / `tls.connect` by default (a spy in tests). */
  readonly connectLink?: LinkSocketConnect;
  /** Clock milliseconds and randomness of the reconnect policy (fakes in tests). */
  readonly now?: () => number;
  readonly random?: () => number;
  /**
   * This node's id and key: each link it opens offers to be authenticated as this node (`link-auth.ts`), and
   * on a link the peer took that way its messages go without signatures. Links are unauthenticated when absent.
   */
  readonly identity?: { readonly id: string; readonly signer: NodeSigner };
}

/** What the node's metrics read, and what its lifecycle closes. */
export interface PeerLinkStats {
  /** Links this node opened and that are open now. */
  readonly open: number;
  /** Of those, the links their peers authenticated as this node. */
  readonly authenticated: number;
  /** Calls made since the node started, by what carried them. */
  readonly calls: Readonly<Record<'link' | 'http', number>>;
}

/**
 * `PeerClient` that carries calls over a peer link (SPEC section 8) to every node that offers one, and over
 * HTTP otherwise. A node offers a link in its own words only: its entry in its own `GET /nodes` answer, or
 * its `GET /nodes/:id` answer about itself, carries `link: true`. A plain node never does, so it never sees a
 * WebSocket attempt.
 *
 * - The first call that needs a peer starts opening its link and goes over HTTP, as do calls until the link is
 *   open: no call ever waits for an upgrade.
 * - Links are one-way: this node sends requests on the links it opened and answers on those it accepted. An
 *   accepted socket proves nothing about who opened it, so calls to a URL are never sent down one (that would
 *   hand a node's messages to whoever claimed its address). Two nodes that call each other keep two links.
 * - A call in flight when its link drops rejects with `peer_unreachable`; it is not silently re-sent, so the
 *   caller's own retry (the courier's, whose receivers de-duplicate on id) keeps delivery exactly once.
 * - Failed upgrades back off with jitter (`LinkAttempts`); a refused one (404 from a node started with
 *   `--no-peer-links`, a proxy that refuses upgrades) leaves that peer on HTTP for a while.
 * - Under the address policy (`urls`, private peers refused) a link is dialled as strictly as an HTTP call is
 *   made: the URL checked, the host resolved and every address checked, the socket opened to the checked
 *   address. A refused dial is `peer_forbidden`, and for as long as the peer is left without a link every call
 *   to it is refused with `peer_forbidden` too: it does not fall back to HTTP.
 */
export class LinkingPeerClient extends OfetchPeerClient {
  readonly #offers = new Set<string>();
  /** Peers whose link the address policy refused, until when: calls to them are refused too, HTTP included. */
  readonly #forbidden = new Map<string, { readonly until: number; readonly why: string }>();
  readonly #links = new Map<string, WsPeerLink>();
  readonly #opening = new Map<string, Promise<void>>();
  readonly #attempts: LinkAttempts;
  readonly #link: PeerLinkSettings;
  readonly #timeout: number;
  readonly #calls = { link: 0, http: 0 };
  readonly #now: () => number;
  readonly #linklessMs: number;
  /** Set when private peers are refused: how a link is checked and dialled. */
  readonly #guard: { readonly urls: PeerUrlPolicy; readonly resolve?: ResolveHost } | undefined;
  readonly #connect: LinkSocketConnect | undefined;
  readonly #identity: LinkingPeerClientSettings['identity'];
  /** Timers of pending authentication retries (`#retryAuthentication`), cleared on `close`. */
  readonly #retries = new Set<NodeJS.Timeout>();
  /** Links replaced by an authenticated one, closing once their calls are answered. */
  readonly #retiring = new Set<WsPeerLink>();
  #closed = false;

  constructor(settings: LinkingPeerClientSettings = {}) {
    const strict = settings.urls !== undefined && !settings.urls.allowPrivate;
    const dispatcher =
      settings.dispatcher ?? (strict ? guardedDispatcher({ resolve: settings.resolve }) : undefined);
    super({ ...settings, ...(dispatcher ? { dispatcher } : {}) });
    this.#guard =
      strict && settings.urls
        ? { urls: settings.urls, ...(settings.resolve ? { resolve: settings.resolve } : {}) }
        : undefined;
    this.#connect = settings.connectLink;
    this.#identity = settings.identity;
    this.#now = settings.now ?? Date.now;
    this.#linklessMs = settings.attempts?.linklessMs ?? LINK_ATTEMPT_DEFAULTS.linklessMs;
    this.#timeout = settings.timeoutMs ?? PEER_TIMEOUT_MS;
    this.#link = { ...PEER_LINK_DEFAULTS, ...settings.link };
    this.#attempts = new LinkAttempts(this.#now, settings.random, {
      ...LINK_ATTEMPT_DEFAULTS,
      ...settings.attempts,
    });
  }

  get stats(): PeerLinkStats {
    let authenticated = 0;
    for (const link of this.#links.values()) if (link.provesSender) authenticated++;
    return { open: this.#links.size, authenticated, calls: { ...this.#calls } };
  }

  /** Whether a link this node opened to `base` is open now. */
  hasLink(base: string): boolean {
    return this.#links.get(keyOf(base) ?? '')?.isOpen === true;
  }

  /** Closes every link this node opened (calls on them reject) and opens no more. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const timer of this.#retries) clearTimeout(timer);
    this.#retries.clear();
    for (const link of [...this.#links.values(), ...this.#retiring]) link.close();
    await Promise.all(this.#opening.values());
  }

  protected override noticed(base: string, entry: Readonly<Record<string, unknown>>): void {
    const key = keyOf(base);
    if (key === undefined || keyOf(entry.url) !== key) return;
    if (entry.link === true) {
      if (!this.#offers.has(key) && this.#offers.size >= MAX_REMEMBERED_PEERS) {
        const oldest = this.#offers.values().next().value;
        if (oldest !== undefined) this.#offers.delete(oldest);
      }
      this.#offers.add(key);
      // This node is talking to the peer now: the link is likely to be needed next.
      if (!this.#links.has(key)) this.#open(key);
    } else {
      // The node now says it has no link (restarted with --no-peer-links, say): stop using the old one.
      this.#offers.delete(key);
      this.#links.get(key)?.close();
    }
  }

  protected override carry(
    base: string,
    method: string,
    path: string,
    body: object | SignedBody | undefined,
    options: CallOptions,
  ): Promise<PeerAnswer> | undefined {
    // Callers pass registry URLs, already canonical: the lookup by the URL as given is the common case.
    const known = this.#links.get(base);
    if (known?.isOpen) return this.#overLink(known, base, method, path, body, options);
    const key = keyOf(base);
    if (key === undefined) return undefined;
    const link = this.#links.get(key);
    if (link?.isOpen) return this.#overLink(link, base, method, path, body, options);
    // The policy refused this peer's link: the call is refused as well, not sent over HTTP instead.
    const forbidden = this.#forbiddenWhy(key);
    if (forbidden !== undefined) return Promise.reject(new PeerCallFailed('peer_forbidden', forbidden));
    if (this.#offers.has(key)) this.#open(key);
    return undefined;
  }

  protected override httpCall(
    base: string,
    method: string,
    path: string,
    body: object | undefined,
    options: CallOptions,
  ): Promise<PeerAnswer> {
    this.#calls.http++;
    return super.httpCall(base, method, path, body, options);
  }

  async #overLink(
    link: WsPeerLink,
    base: string,
    method: string,
    path: string,
    body: object | SignedBody | undefined,
    options: CallOptions,
  ): Promise<PeerAnswer> {
    this.#calls.link++;
    // Unsigned only on a link authenticated as this node, and only what is for the node that took it.
    const peer = link.authenticatedTo;
    const sent = body instanceof SignedBody ? (peer && body.isFor(peer) ? body.bare : body.signed()) : body;
    const reply = await link.call(method, path, sent, options.timeoutMs ?? this.#timeout);
    return {
      text: answerText(base, method, path, reply.status, reply.text),
      headers: new Headers(reply.headers),
    };
  }

  #open(key: string): void {
    if (this.#closed || this.#opening.has(key) || !this.#attempts.mayOpen(key)) return;
    const opening = this.#dial(key)
      .then(
        (link) => {
          if (this.#closed || !this.#offers.has(key)) return link.close();
          this.#attempts.opened(key);
          this.#use(key, link);
          if (this.#identity && !link.provesSender) this.#retryAuthentication(key, link, 0);
        },
        (error: unknown) => {
          if (error instanceof PeerCallFailed && error.code === 'peer_forbidden')
            this.#forbid(key, error.message);
          this.#attempts.failed(key, failureOf(error));
        },
      )
      .finally(() => this.#opening.delete(key));
    this.#opening.set(key, opening);
  }

  #use(key: string, link: WsPeerLink): void {
    this.#links.set(key, link);
    link.onClose(() => {
      if (this.#links.get(key) !== link) return;
      this.#links.delete(key);
      this.#attempts.dropped(key);
    });
  }

  /**
   * A link the peer did not authenticate as this node, most often because the peer had not yet bound this
   * node's key when it opened (the link opens with the first calls, the join's among them): a few more tries,
   * later (`REAUTHENTICATE_AFTER_MS`), each a second link that replaces the first only if the peer authenticates
   * it. The first stays in use meanwhile and closes once its calls are answered. A peer that never
   * authenticates (no key, or a node that predates link authentication) costs those few upgrades per link.
   */
  #retryAuthentication(key: string, link: WsPeerLink, attempt: number): void {
    const delay = REAUTHENTICATE_AFTER_MS[attempt];
    const current = () => !this.#closed && this.#links.get(key) === link && link.isOpen;
    if (delay === undefined || !current()) return;
    const timer = setTimeout(() => {
      this.#retries.delete(timer);
      if (!current()) return;
      this.#dial(key).then(
        (fresh) => {
          if (!fresh.provesSender || !current()) {
            fresh.close();
            this.#retryAuthentication(key, link, attempt + 1);
            return;
          }
          this.#attempts.opened(key);
          this.#use(key, fresh);
          // Closed by `close` too, should its calls still be out then.
          this.#retiring.add(link);
          link.onClose(() => this.#retiring.delete(link));
          link.closeWhenIdle();
        },
        () => this.#retryAuthentication(key, link, attempt + 1),
      );
    }, delay).unref();
    this.#retries.add(timer);
  }

  /**
   * Opens the link to `key`. Under the address policy, the URL is checked, its host resolved and every address
   * checked, then the socket connects to the checked address only: a name that resolves anywhere else at dial
   * time (DNS rebinding) is refused before any socket exists. A refusal rejects with `peer_forbidden`.
   */
  async #dial(key: string): Promise<WsPeerLink> {
    const proof = this.#proofHeaders(key);
    const identity = this.#identity;
    const offer = identity ? offerLinkAuth(identity.id, identity.signer) : undefined;
    const connect: LinkDial = {
      ...(this.#connect ? { connect: this.#connect } : {}),
      ...proof,
      ...(proof.headers || offer ? { headers: { ...proof.headers, ...offer?.headers } } : {}),
      ...(offer ? { authenticated: offer.accept } : {}),
    };
    const guard = this.#guard;
    if (!guard) return WsPeerLink.open(key, this.#link, connect);
    try {
      guard.urls.check(key);
    } catch (error) {
      if (error instanceof MeshError) throw new PeerCallFailed('peer_forbidden', error.message);
      throw error;
    }
    let address: string;
    try {
      address = await checkedAddress(new URL(key).hostname.replace(/^\[(.*)\]$/, '$1'), guard.resolve);
    } catch (error) {
      if (error instanceof ForbiddenPeerAddress)
        throw new PeerCallFailed('peer_forbidden', `Refused to open a link to ${key}: ${error.message}.`);
      throw new LinkUnreachable(error instanceof Error ? error.message : String(error));
    }
    if (this.#closed) throw new LinkUnreachable('This node is closing its links.');
    return WsPeerLink.open(key, this.#link, { ...connect, address });
  }

  /**
   * The upgrade's proof of the network key (for `GET <base path>/peer`), and the check that the `101` proves it
   * back, when this node has a key.
   */
  #proofHeaders(key: string): Pick<LinkDial, 'headers' | 'proven'> {
    const networkKey = this.networkKey;
    if (!networkKey) return {};
    const { pathname } = new URL(`${key}${LINK_PATH}`);
    const proof = networkKey.prove('GET', pathname);
    return {
      headers: { [NETWORK_PROOF_HEADER]: proof },
      proven: (headers) => {
        const answer = headers[NETWORK_PROOF_HEADER.toLowerCase()];
        return networkKey.checkAnswer(
          Array.isArray(answer) ? answer[0] : answer,
          proof,
          101,
          new Uint8Array(0),
        );
      },
    };
  }

  /** Remembers a refused peer for as long as a peer without links is left alone (bounded, oldest forgotten). */
  #forbid(key: string, why: string): void {
    this.#forbidden.delete(key);
    if (this.#forbidden.size >= MAX_REMEMBERED_PEERS) {
      const oldest = this.#forbidden.keys().next().value;
      if (oldest !== undefined) this.#forbidden.delete(oldest);
    }
    this.#forbidden.set(key, { until: this.#now() + this.#linklessMs, why });
  }

  #forbiddenWhy(key: string): string | undefined {
    const forbidden = this.#forbidden.get(key);
    if (forbidden === undefined) return undefined;
    if (this.#now() < forbidden.until) return forbidden.why;
    this.#forbidden.delete(key);
    return undefined;
  }
}

/**
 * When a link the peer did not authenticate as this node is dialled again, each delay after the previous try:
 * four more upgrades at most per link, spread over about six minutes (the time for a new node's key to be
 * bound across the mesh by gossip, with room to spare).
 */
export const REAUTHENTICATE_AFTER_MS: readonly number[] = [2_000, 10_000, 60_000, 300_000];

/**
 * How a failed dial counts for the reconnect policy: a peer that answered the upgrade without a link (404, 503)
 * or whose address is refused gets no link for a while; one that is down only backs off; a rate-limited upgrade
 * (429) is retried later, like any other failure.
 */
function failureOf(error: unknown): AttemptFailure {
  if (error instanceof PeerCallFailed) return error.code === 'peer_forbidden' ? 'refused' : 'failed';
  if (error instanceof LinkRefused) return error.status === 429 ? 'failed' : 'refused';
  if (error instanceof LinkUnproven) return 'refused';
  return error instanceof LinkUnreachable ? 'unreachable' : 'failed';
}

/** The canonical form of a node URL, or `undefined` for anything that is not one. */
function keyOf(url: unknown): string | undefined {
  try {
    return normalizeNodeUrl(url);
  } catch {
    return undefined;
  }
}
