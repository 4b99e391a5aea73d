import { canonicalAccountName, formatUserAddress, isPasswordWithinBounds } from '../../domain/account.js';
import { MeshError } from '../../domain/errors.js';
import type { AccountStore } from '../ports/accounts/account-store.js';
import type { PasswordHasher } from '../ports/accounts/password-hasher.js';
import type { Inbox } from '../ports/inbox.js';
import { type AccountContext, audit } from './account-deps.js';
import { BadCredentials, RateLimited } from './account-errors.js';
import { type Authenticate, assertOwner } from './authenticate.js';
import type { LoginThrottle } from './login-throttle.js';

/** What unregistering removed; the caller closes the user's live connections. */
export interface Unregistered {
  readonly user: string;
  readonly sessionsRevoked: number;
}

/**
 * `DELETE /users/:name {password}` with that user's bearer token: removes the account, all its sessions and
 * the direct messages waiting in its inbox.
 * Throws `Unauthenticated` (no valid token), `Forbidden` (another user's token), `RateLimited` and
 * `BadCredentials` (a wrong password, counted like a failed login, so a stolen token does not allow unlimited
 * guesses). Audited whatever the outcome once the token is valid.
 */
export class Unregister {
  constructor(
    private readonly deps: AccountContext & {
      store: AccountStore;
      hasher: PasswordHasher;
      authenticate: Authenticate;
      throttle: LoginThrottle;
      /** The direct messages waiting for the user (none on a node without an inbox). */
      inbox?: Pick<Inbox, 'clear'>;
    },
  ) {}

  async execute(input: {
    token: unknown;
    name: unknown;
    password: unknown;
    client?: string;
  }): Promise<Unregistered> {
    const { store, hasher, authenticate, throttle, node } = this.deps;
    const session = authenticate.execute(input.token);
    const name = canonicalAccountName(input.name) ?? String(input.name).slice(0, 40);
    const object = `account ${formatUserAddress({ name: session.name, node })}`;
    try {
      assertOwner(session, name);
      const wait = throttle.retryAfterSeconds(name, input.client);
      if (wait > 0) throw new RateLimited(wait);
      const account = store.getAccount(name);
      const ok =
        account !== undefined &&
        isPasswordWithinBounds(input.password) &&
        (await hasher.verify(input.password, account.passwordHash));
      if (!ok) {
        throttle.failed(name, input.client);
        throw new BadCredentials();
      }
      const sessionsRevoked = store.deleteAccount(name);
      if (sessionsRevoked === undefined) throw new BadCredentials();
      this.deps.inbox?.clear(name);
      throttle.succeeded(name);
      audit(this.deps, { user: session.name, op: 'unregister', object, outcome: 'ok' });
      return { user: formatUserAddress({ name, node }), sessionsRevoked };
    } catch (error) {
      if (error instanceof MeshError) {
        audit(this.deps, { user: session.name, op: 'unregister', object, outcome: error.code });
      }
      throw error;
    }
  }
}
