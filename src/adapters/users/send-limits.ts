import type { SendOutcome } from '../../application/messaging/forward-message.js';
import { RateLimiter } from '../../domain/rate-limiter.js';
import { type RateLimitSettings, retryAfterSeconds } from '../../domain/rate-limits.js';
import { TokenBucket } from '../../domain/token-bucket.js';

/** The refusal a user front end sends instead of doing the work: an ack error or an error frame. */
export interface RateLimitedError {
  readonly code: 'rate_limited';
  readonly message: string;
  /** Whole seconds, as HTTP's `Retry-After`. */
  readonly retryAfter: number;
}

/**
 * The budgets of the user front ends: one bucket per connection (every `msg` event, every `/ws` frame), and
 * one per logged-in account over all its connections (its sends). Checked before a frame is parsed.
 */
export class SendLimits {
  readonly #accounts: RateLimiter;

  constructor(
    readonly settings: Pick<RateLimitSettings, 'connection' | 'account'>,
    private readonly now: () => number,
  ) {
    this.#accounts = new RateLimiter(settings.account);
  }

  /** A new connection's own bucket, full. */
  connectionBucket(): TokenBucket {
    return new TokenBucket(this.settings.connection, this.now());
  }

  /** Takes one frame from the connection's budget: undefined when admitted, else the refusal to send. */
  admitFrame(bucket: TokenBucket): RateLimitedError | undefined {
    return refusal(bucket.take(this.now()), 'this connection sent');
  }

  /** Takes one message from the account's budget (anonymous connections have none): as `admitFrame`. */
  admitSend(account: string | undefined): RateLimitedError | undefined {
    if (account === undefined) return undefined;
    return refusal(this.#accounts.take(account, this.now()), 'this account sent');
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
