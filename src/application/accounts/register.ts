import { assertAccountName, assertNewPassword, formatUserAddress } from '../../domain/account.js';
import { MeshError } from '../../domain/errors.js';
import type { AccountStore } from '../ports/accounts/account-store.js';
import type { PasswordHasher } from '../ports/accounts/password-hasher.js';
import { type AccountContext, audit } from './account-deps.js';
import { NameTaken } from './account-errors.js';

/** What `POST /users` answers: the new user's address and when the account was made (ISO-8601). */
export interface Registered {
  readonly user: string;
  readonly createdAt: string;
}

/**
 * `POST /users {name, password}`: makes an account on this node. Throws `InvalidInput` (`invalid_name`,
 * `weak_password`, `invalid_password`) for input that breaks the rules and `NameTaken` for a name the node
 * has, in any case. Every attempt with a valid name is audited.
 */
export class Register {
  constructor(private readonly deps: AccountContext & { store: AccountStore; hasher: PasswordHasher }) {}

  async execute(input: { name: unknown; password: unknown }): Promise<Registered> {
    const { store, hasher, clock, node } = this.deps;
    const name = assertAccountName(input.name);
    const object = `account ${formatUserAddress({ name, node })}`;
    try {
      const password = assertNewPassword(input.password);
      // Checked before hashing so that a taken name costs no hash; `createAccount` settles a race.
      if (store.getAccount(name)) throw new NameTaken(name);
      const passwordHash = await hasher.hash(password);
      const createdAt = clock.now();
      if (!store.createAccount({ name, passwordHash, createdAt })) throw new NameTaken(name);
      audit(this.deps, { user: name, op: 'register', object, outcome: 'ok' });
      return { user: formatUserAddress({ name, node }), createdAt: new Date(createdAt).toISOString() };
    } catch (error) {
      if (error instanceof MeshError)
        audit(this.deps, { user: name, op: 'register', object, outcome: error.code });
      throw error;
    }
  }
}
