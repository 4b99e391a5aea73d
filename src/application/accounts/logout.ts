import type { AccountStore } from '../ports/accounts/account-store.js';
import { type AccountContext, audit, sessionObject } from './account-deps.js';
import type { Authenticate } from './authenticate.js';

/**
 * `DELETE /sessions/current`: revokes the session of `token`; later uses of it are `Unauthenticated`. A token
 * that is not (or no longer) valid throws `Unauthenticated` from `authenticate`, so a second logout is a 401.
 */
export class Logout {
  constructor(private readonly deps: AccountContext & { store: AccountStore; authenticate: Authenticate }) {}

  execute(token: unknown): { user: string } {
    const session = this.deps.authenticate.execute(token);
    this.deps.store.deleteSession(session.tokenHash);
    audit(this.deps, {
      user: session.name,
      op: 'logout',
      object: sessionObject(session.tokenHash),
      outcome: 'ok',
    });
    return { user: session.user };
  }
}
