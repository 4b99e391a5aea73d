import type { CallOptions } from '../../application/ports/peer-client.js';
import { normalizeNodeUrl } from '../../domain/node-record.js';
import {
  LINK_ATTEMPT_DEFAULTS,
  type LinkAttemptSettings,
  LinkAttempts,
  MAX_REMEMBERED_PEERS,
} from './link-attempts.js';
import {
  answerText,
  OfetchPeerClient,
  type OfetchPeerClientSettings,
  PEER_TIMEOUT_MS,
  type PeerAnswer,
} from './ofetch-peer-client.js';
import {
  LinkRefused,
  LinkUnreachable,
  PEER_LINK_DEFAULTS,
  type PeerLinkSettings,
  WsPeerLink,
} from './ws-peer-link.js';

export interface LinkingPeerClientSettings extends OfetchPeerClientSettings {
  readonly link?: Partial<PeerLinkSettings>;
  readonly attempts?: Partial<LinkAttemptSettings>;
  /** Clock milliseconds and randomness of the reconnect policy (fakes in tests). */
  readonly now?: () => number;
  readonly random?: () => number;
}

/** What the node's metrics read, and what its lifecycle closes. */
export interface PeerLinkStats {
  /** Links this node opened and that are open now. */
  readonly open: number;
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
 */
export class LinkingPeerClient extends OfetchPeerClient {
  readonly #offers = new Set<string>();
  readonly #links = new Map<string, WsPeerLink>();
  readonly #opening = new Map<string, Promise<void>>();
  readonly #attempts: LinkAttempts;
  readonly #link: PeerLinkSettings;
  readonly #timeout: number;
  readonly #calls = { link: 0, http: 0 };
  #closed = false;

  constructor(settings: LinkingPeerClientSettings = {}) {
    super(settings);
    this.#timeout = settings.timeoutMs ?? PEER_TIMEOUT_MS;
    this.#link = { ...PEER_LINK_DEFAULTS, ...settings.link };
    this.#attempts = new LinkAttempts(settings.now ?? Date.now, settings.random, {
      ...LINK_ATTEMPT_DEFAULTS,
      ...settings.attempts,
    });
  }

  get stats(): PeerLinkStats {
    return { open: this.#links.size, calls: { ...this.#calls } };
  }

  /** Whether a link this node opened to `base` is open now. */
  hasLink(base: string): boolean {
    return this.#links.get(keyOf(base) ?? '')?.isOpen === true;
  }

  /** Closes every link this node opened (calls on them reject) and opens no more. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const link of this.#links.values()) link.close();
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
    body: object | undefined,
    options: CallOptions,
  ): Promise<PeerAnswer> | undefined {
    // Callers pass registry URLs, already canonical: the lookup by the URL as given is the common case.
    const known = this.#links.get(base);
    if (known?.isOpen) return this.#overLink(known, base, method, path, body, options);
    const key = keyOf(base);
    if (key === undefined) return undefined;
    const link = this.#links.get(key);
    if (link?.isOpen) return this.#overLink(link, base, method, path, body, options);
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
    body: object | undefined,
    options: CallOptions,
  ): Promise<PeerAnswer> {
    this.#calls.link++;
    const reply = await link.call(method, path, body, options.timeoutMs ?? this.#timeout);
    return {
      text: answerText(base, method, path, reply.status, reply.text),
      headers: new Headers(reply.headers),
    };
  }

  #open(key: string): void {
    if (this.#closed || this.#opening.has(key) || !this.#attempts.mayOpen(key)) return;
    const opening = WsPeerLink.open(key, this.#link)
      .then(
        (link) => {
          if (this.#closed || !this.#offers.has(key)) return link.close();
          this.#attempts.opened(key);
          this.#links.set(key, link);
          link.onClose(() => {
            if (this.#links.get(key) !== link) return;
            this.#links.delete(key);
            this.#attempts.dropped(key);
          });
        },
        (error: unknown) =>
          this.#attempts.failed(
            key,
            error instanceof LinkRefused
              ? 'refused'
              : error instanceof LinkUnreachable
                ? 'unreachable'
                : 'failed',
          ),
      )
      .finally(() => this.#opening.delete(key));
    this.#opening.set(key, opening);
  }
}

/** The canonical form of a node URL, or `undefined` for anything that is not one. */
function keyOf(url: unknown): string | undefined {
  try {
    return normalizeNodeUrl(url);
  } catch {
    return undefined;
  }
}
