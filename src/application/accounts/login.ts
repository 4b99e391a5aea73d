import { canonicalAccountName, formatUserAddress, isPasswordWithinBounds } from '../../domain/account.js';
import type { AccountStore } from '../ports/accounts/account-store.js';
import type { PasswordHasher } from '../ports/accounts/password-hasher.js';
import type { SessionTokens } from '../ports/accounts/session-tokens.js';
import { type AccountContext, audit, sessionObject } from './account-deps.js';
import { BadCredentials, RateLimited } from './account-errors.js';
import type { LoginThrottle } from './login-throttle.js';

/** How long a login token is valid; it is not extended by use. */
export const SESSION_LIFETIME_MS = 7 * 24 * 3_600_000;

/** A password no account has: unknown names are checked against its hash so they cost the same time. */
const DUMMY_PASSWORD = 'meshchat-no-such-account';

/** What `POST /sessions` answers. The token is shown once here and never again. */
export interface LoggedIn {
  readonly token: string;
  readonly user: string;
  /** ISO-8601. */
  readonly expiresAt: string;
}

export interface LoginSettings {
  readonly sessionLifetimeMs: number;
}

/**
 * `POST /sessions {name, password}`: opens a session. A wrong password, an unknown name and a malformed one all
 * throw the same `BadCredentials` after one password verification each, so neither the answer nor its time
 * tells whether the name exists. Over the throttle's limits it throws `RateLimited` without verifying anything.
 * `client` is the caller's network address, for the per-address limit. Every attempt is audited. A successful
 * login also removes every expired session of the node.
 */
export class Login {
  readonly #settings: LoginSettings;
  #dummyHash: Promise<string> | undefined;

  constructor(
    private readonly deps: AccountContext & {
      store: AccountStore;
      hasher: PasswordHasher;
      tokens: SessionTokens;
      throttle: LoginThrottle;
    },
    settings: Partial<LoginSettings> = {},
  ) {
    this.#settings = { sessionLifetimeMs: SESSION_LIFETIME_MS, ...settings };
  }

  async execute(input: { name: unknown; password: unknown; client?: string }): Promise<LoggedIn> {
    const { store, hasher, tokens, throttle, clock, node } = this.deps;
    const name = canonicalAccountName(input.name);
    // Malformed names share one throttle key: they cannot be anyone's, and must not escape the limit.
    const key = name ?? '-';
    const object = input.client === undefined ? 'client unknown' : `client ${input.client}`;
    const wait = throttle.retryAfterSeconds(key, input.client);
    if (wait > 0) {
      audit(this.deps, { user: name, op: 'login', object, outcome: 'rate_limited' });
      throw new RateLimited(wait);
    }
    const account = name === undefined ? undefined : store.getAccount(name);
    const password = isPasswordWithinBounds(input.password) ? input.password : '';
    const matches = await hasher.verify(password, account?.passwordHash ?? (await this.#dummy()));
    if (!account || !matches || password !== input.password) {
      throttle.failed(key, input.client);
      audit(this.deps, { user: name, op: 'login', object, outcome: 'bad_credentials' });
      throw new BadCredentials();
    }
    throttle.succeeded(key);
    const token = tokens.issue();
    const tokenHash = tokens.hash(token);
    const now = clock.now();
    const expiresAt = now + this.#settings.sessionLifetimeMs;
    if (!store.addSession({ tokenHash, name: account.name, createdAt: now, expiresAt })) {
      // The account was removed while its password was being checked.
      audit(this.deps, { user: name, op: 'login', object, outcome: 'bad_credentials' });
      throw new BadCredentials();
    }
    // Expired sessions are refused anyway; sweeping them here bounds the table without a timer.
    store.deleteExpiredSessions(now);
    audit(this.deps, { user: name, op: 'login', object: sessionObject(tokenHash), outcome: 'ok' });
    return {
      token,
      user: formatUserAddress({ name: account.name, node }),
      expiresAt: new Date(expiresAt).toISOString(),
    };
  }

  #dummy(): Promise<string> {
    this.#dummyHash ??= this.deps.hasher.hash(DUMMY_PASSWORD);
    return this.#dummyHash;
  }
}
