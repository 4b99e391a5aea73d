/** When the next attempt to open a link may start; defaults are constants so the docs and tests name them. */
export interface LinkAttemptSettings {
  /** Wait after the first failure; it doubles with each failure in a row, up to `maxDelayMs`. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /**
   * Failures in a row, with the peer reachable (the upgrade timed out or broke), after which the peer is taken
   * as link-less for `linklessMs` (HTTP only).
   */
  readonly maxFailures: number;
  readonly linklessMs: number;
  /** A link that dropped sooner than this after opening counts as a failure (so a flapping link backs off). */
  readonly healthyMs: number;
}

export const LINK_ATTEMPT_DEFAULTS: LinkAttemptSettings = {
  baseDelayMs: 1_000,
  maxDelayMs: 30_000,
  maxFailures: 5,
  linklessMs: 10 * 60_000,
  healthyMs: 30_000,
};

/** Peers whose attempts are remembered; the oldest is forgotten first, so no peer can grow this without bound. */
export const MAX_REMEMBERED_PEERS = 4_096;

/**
 * How an attempt failed: `unreachable` (no connection: the peer is down, so HTTP would fail too; only backs
 * off), `refused` (the peer answered the upgrade without one: 404 from a node started with `--no-peer-links`,
 * a proxy that refuses upgrades), `failed` (anything else: a timeout, a broken handshake).
 */
export type AttemptFailure = 'unreachable' | 'refused' | 'failed';

interface Attempts {
  failures: number;
  /** Failures in a row while the peer was reachable: they lead to the link-less pause. */
  broken: number;
  retryAt: number;
  openedAt?: number;
}

/**
 * The reconnect policy of peer links, per peer origin, without I/O: exponential backoff with jitter (each
 * delay drawn from the upper half of its range, so many nodes do not retry in step), and a long pause after
 * repeated failures or a refusal (a peer that answers the upgrade with anything but 101 has no link to offer).
 */
export class LinkAttempts {
  readonly #peers = new Map<string, Attempts>();

  constructor(
    private readonly now: () => number,
    private readonly random: () => number = Math.random,
    private readonly settings: LinkAttemptSettings = LINK_ATTEMPT_DEFAULTS,
  ) {}

  /** Whether an attempt to open a link to `origin` may start now. */
  mayOpen(origin: string): boolean {
    const attempts = this.#peers.get(origin);
    return attempts === undefined || this.now() >= attempts.retryAt;
  }

  opened(origin: string): void {
    const attempts = this.#get(origin);
    attempts.openedAt = this.now();
    attempts.retryAt = 0;
  }

  failed(origin: string, why: AttemptFailure = 'failed'): void {
    const attempts = this.#get(origin);
    attempts.failures++;
    if (why !== 'unreachable') attempts.broken++;
    attempts.openedAt = undefined;
    if (why === 'refused' || attempts.broken >= this.settings.maxFailures) {
      attempts.failures = 0;
      attempts.broken = 0;
      attempts.retryAt = this.now() + this.settings.linklessMs;
      return;
    }
    const ceiling = Math.min(
      this.settings.maxDelayMs,
      this.settings.baseDelayMs * 2 ** (attempts.failures - 1),
    );
    attempts.retryAt = this.now() + ceiling / 2 + (ceiling / 2) * this.random();
  }

  /** An open link closed: a healthy one starts the count over, one that dropped early is one more failure. */
  dropped(origin: string): void {
    const attempts = this.#peers.get(origin);
    if (attempts?.openedAt === undefined) return;
    if (this.now() - attempts.openedAt >= this.settings.healthyMs) {
      this.#peers.delete(origin);
      return;
    }
    this.failed(origin);
  }

  #get(origin: string): Attempts {
    let attempts = this.#peers.get(origin);
    if (!attempts) {
      if (this.#peers.size >= MAX_REMEMBERED_PEERS) {
        const oldest = this.#peers.keys().next().value;
        if (oldest !== undefined) this.#peers.delete(oldest);
      }
      attempts = { failures: 0, broken: 0, retryAt: 0 };
      this.#peers.set(origin, attempts);
    }
    return attempts;
  }
}
