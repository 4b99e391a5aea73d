import { formatUserAddress } from '../../domain/account.js';
import type { AccountStore } from '../ports/accounts/account-store.js';
import type { SessionTokens } from '../ports/accounts/session-tokens.js';
import type { Clock } from '../ports/clock.js';
import { Forbidden, Unauthenticated } from './account-errors.js';

/** Longer than any token `SessionTokens` issues; a longer one is refused before it is hashed. */
export const TOKEN_MAX_LENGTH = 512;

/** The user a token stands for. */
export interface AuthenticatedUser {
  /** The account name, lower-case. */
  readonly name: string;
  /** `name@node`. */
  readonly user: string;
  readonly tokenHash: string;
  readonly expiresAt: number;
  /** When the account was created (ms): its direct messages in history are the ones since then. */
  readonly accountCreatedAt?: number;
}

/**
 * Who a bearer token (or a socket's `auth.token`) belongs to. Throws `Unauthenticated` for a token that is
 * missing, malformed, unknown, expired or revoked, and for one whose account is gone. Reads only: it writes no
 * audit record (a connection that uses the token is audited by `Presence`).
 */
export class Authenticate {
  constructor(
    private readonly deps: { node: string; clock: Clock; store: AccountStore; tokens: SessionTokens },
  ) {}

  execute(token: unknown): AuthenticatedUser {
    const { node, clock, store, tokens } = this.deps;
    if (typeof token !== 'string' || token.length === 0 || token.length > TOKEN_MAX_LENGTH) {
      throw new Unauthenticated('This needs a login token (Authorization: Bearer <token>); log in first.');
    }
    const tokenHash = tokens.hash(token);
    const session = store.getSession(tokenHash);
    const account = session && store.getAccount(session.name);
    if (!session || !account) {
      // A token from another node (the user's home node) is unknown here: the commonest way to get this.
      throw new Unauthenticated(
        `This login token is unknown to node ${node}: revoked, or given by another node (a token works only ` +
          'on the node that gave it, your home node); log in again.',
      );
    }
    if (session.expiresAt <= clock.now())
      throw new Unauthenticated('This login token has expired; log in again.');
    return {
      name: session.name,
      user: formatUserAddress({ name: session.name, node }),
      tokenHash,
      expiresAt: session.expiresAt,
      accountCreatedAt: account.createdAt,
    };
  }

  /**
   * Whether the account `user` stood for still exists: false once it was removed, and for an account registered
   * again under that name (another account). For a step that must not outlive the account, such as adding the
   * record of a file whose upload began before the account was removed.
   */
  isCurrent(user: AuthenticatedUser): boolean {
    const account = this.deps.store.getAccount(user.name);
    return account !== undefined && account.createdAt === user.accountCreatedAt;
  }
}

/** Throws `Forbidden` unless `owner` (a lower-case account name) is the authenticated user. */
export function assertOwner(user: AuthenticatedUser, owner: string): void {
  if (user.name !== owner) {
    throw new Forbidden(`This belongs to "${owner}", and you are logged in as "${user.name}".`);
  }
}
