import { formatUserAddress } from '../../domain/account.js';
import type { AccountStore } from '../ports/accounts/account-store.js';
import type { PresenceChange } from './presence.js';

/** `GET /users`: this node's users by name, each with whether it is online now and when it was last seen. */
export class ListUsers {
  constructor(
    private readonly deps: {
      node: string;
      store: AccountStore;
      presence: { isOnline(name: string): boolean };
    },
  ) {}

  execute(): PresenceChange[] {
    const { node, store, presence } = this.deps;
    return store.listAccounts().map((account) => ({
      user: formatUserAddress({ name: account.name, node }),
      online: presence.isOnline(account.name),
      lastSeen: account.lastSeen === undefined ? null : new Date(account.lastSeen).toISOString(),
    }));
  }
}
