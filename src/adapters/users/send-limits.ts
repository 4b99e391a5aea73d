import type { SendOutcome } from '../../application/messaging/forward-message.js';
import { RateLimiter } from '../../domain/rate-limiter.js';
import { DEFAULT_RATE_LIMITS, type RateLimitSettings, retryAfterSeconds } from '../../domain/rate-limits.js';
import { TokenBucket } from '../../domain/token-bucket.js';
import { clientOfRequest, type RateLimitedConnection } from '../http/http-rate-limits.js';

/** The refusal a user front end sends instead of doing the work: an ack error or an error frame. */
export interface RateLimitedError {
  readonly code: 'rate_limited';
  readonly message: string;
  /** Whole seconds, as HTTP's `Retry-After`. */
  readonly retryAfter: number;
  /** Set when the connection is being closed for ignoring its refusals (see `RateLimitSettings.cutOff`). */
  readonly closed?: true;
}

/**
 * One user connection's budget: its frame bucket, the client address whose shared budget it also draws on, and
 * the refusals it got in the current window.
 */
export interface ConnectionBudget {
  readonly bucket: TokenBucket;
  /** Undefined for a connection without a socket (none in a running node). */
  readonly client: string | undefined;
  refusals: number;
  windowStart: number;
}

/** A refused frame: what to tell the client, and whether the connection is now to be closed. */
export interface Refusal {
  readonly error: RateLimitedError;
  readonly cutOff: boolean;
}

/**
 * The budgets of the user front ends: one bucket per connection (every `msg` and `older` event, every `/ws`
 * frame), one per client address over all its socket.io and `/ws` connections together (the same frames), and
 * one per logged-in account over all its connections (its sends). Checked before a frame is parsed. The client
 * address is found as the HTTP limits find it (`clientOfRequest`): the TCP peer, or behind a tunnel the
 * `X-Forwarded-For` entry the tunnel wrote. A
 * connection that keeps sending over its budget (more than `cutOff.refusals` refusals within
 * `cutOff.windowSeconds`) is to be closed: refusing it costs the node more than closing it.
 */
export class SendLimits {
  readonly #accounts: RateLimiter;
  readonly #addresses: RateLimiter;
  readonly #cutOff: RateLimitSettings['cutOff'];

  constructor(
    readonly settings: Pick<RateLimitSettings, 'connection' | 'account'> &
      Partial<Pick<RateLimitSettings, 'cutOff' | 'address'>>,
    private readonly now: () => number,
    /** Behind a tunnel: charge the client the tunnel names, as `HttpRateLimitOptions.trustForwardedFor`. */
    private readonly trustForwardedFor = false,
  ) {
    this.#accounts = new RateLimiter(settings.account);
    this.#addresses = new RateLimiter(settings.address ?? DEFAULT_RATE_LIMITS.address);
    this.#cutOff = settings.cutOff ?? DEFAULT_RATE_LIMITS.cutOff;
  }

  /** A new connection's own budget, full, charged with its address's to the client of its upgrade `request`. */
  connectionBudget(request?: RateLimitedConnection): ConnectionBudget {
    const now = this.now();
    return {
      bucket: new TokenBucket(this.settings.connection, now),
      client: clientOfRequest(request, this.trustForwardedFor),
      refusals: 0,
      windowStart: now,
    };
  }

  /**
   * Takes one frame from the connection's budget, then from its address's, and for a logged-in connection one
   * send from its account's (each only once the one before admitted it): undefined when admitted, else the
   * refusal (with `cutOff` once the connection has been refused too often).
   */
  admit(connection: ConnectionBudget, account: string | undefined): Refusal | undefined {
    const now = this.now();
    const { client } = connection;
    const error =
      refusal(connection.bucket.take(now), 'this connection sent') ??
      (client === undefined
        ? undefined
        : refusal(this.#addresses.take(client, now), "this address's connections sent")) ??
      (account === undefined ? undefined : refusal(this.#accounts.take(account, now), 'this account sent'));
    if (!error) return undefined;
    const { refusals, windowSeconds, penaltySeconds } = this.#cutOff;
    if (now - connection.windowStart >= windowSeconds * 1000) {
      connection.windowStart = now;
      connection.refusals = 0;
    }
    connection.refusals++;
    if (!(refusals > 0) || connection.refusals <= refusals) return { error, cutOff: false };
    return {
      cutOff: true,
      error: {
        code: 'rate_limited',
        message: `This connection kept sending over its limit (GET /limits) and is closed; connect again in ${penaltySeconds} second${penaltySeconds === 1 ? '' : 's'} at the earliest.`,
        retryAfter: Math.max(1, Math.ceil(penaltySeconds)),
        closed: true,
      },
    };
  }

  /** How long a cut-off connection's address is refused, in milliseconds. */
  get penaltyMs(): number {
    return Math.max(0, this.#cutOff.penaltySeconds * 1000);
  }
}

function refusal(waitMs: number, who: string): RateLimitedError | undefined {
  if (waitMs === 0) return undefined;
  const retryAfter = retryAfterSeconds(waitMs);
  return {
    code: 'rate_limited',
    message: `Too many messages: ${who} more than its limit allows (GET /limits); try again in ${retryAfter} second${retryAfter === 1 ? '' : 's'}.`,
    retryAfter,
  };
}

/** A refusal as the outcome of a send, so it is acknowledged like any other failure. */
export function refusedSend(error: RateLimitedError): SendOutcome {
  return { ok: false, error };
}
