import { canonicalAccountName, formatUserAddress, isPasswordWithinBounds } from '../../domain/account.js';
import { MeshError } from '../../domain/errors.js';
import type { AccountStore } from '../ports/accounts/account-store.js';
import type { PasswordHasher } from '../ports/accounts/password-hasher.js';
import type { PublishedFiles } from '../ports/files/published-files.js';
import type { Inbox } from '../ports/inbox.js';
import { type AccountContext, audit } from './account-deps.js';
import { BadCredentials, RateLimited } from './account-errors.js';
import { type Authenticate, type AuthenticatedUser, assertOwner } from './authenticate.js';
import type { LoginThrottle } from './login-throttle.js';

/** What unregistering removed; the caller closes the user's live connections. */
export interface Unregistered {
  readonly user: string;
  readonly sessionsRevoked: number;
  /** Records of files the user had published here, removed with the account. */
  readonly filesRemoved: number;
}

/**
 * `DELETE /users/:name {password}` with that user's bearer token: removes the account, all its sessions, the
 * direct messages waiting in its inbox and the files it published (SPEC section 5). The account goes first, so
 * no upload of the user still running can add a file after its files were removed.
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
      /** The files the user published (none on a node without files). */
      files?: PublishedFiles;
    },
  ) {}

  async execute(input: {
    token: unknown;
    name: unknown;
    password: unknown;
    client?: string;
  }): Promise<Unregistered> {
    const { authenticate, node } = this.deps;
    const session = authenticate.execute(input.token);
    const name = canonicalAccountName(input.name) ?? String(input.name).slice(0, 40);
    const object = `account ${formatUserAddress({ name: session.name, node })}`;
    let sessionsRevoked: number;
    try {
      sessionsRevoked = await this.#removeAccount(session, name, input);
      audit(this.deps, { user: session.name, op: 'unregister', object, outcome: 'ok' });
    } catch (error) {
      if (error instanceof MeshError) {
        audit(this.deps, { user: session.name, op: 'unregister', object, outcome: error.code });
      }
      throw error;
    }
    // The account is gone: its files follow, each audited as a delete. A failure of the file store here is the
    // store's (the files' own audit records say which), not a refusal of the unregistration.
    const filesRemoved = (await this.deps.files?.removeAllOf({ name, node })) ?? 0;
    return { user: formatUserAddress({ name, node }), sessionsRevoked, filesRemoved };
  }

  /** Checks the owner and the password, then removes the account, its sessions and its inbox. */
  async #removeAccount(
    session: AuthenticatedUser,
    name: string,
    input: { password: unknown; client?: string },
  ): Promise<number> {
    const { store, hasher, throttle } = this.deps;
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
    return sessionsRevoked;
  }
}
