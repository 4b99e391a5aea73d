import { AccountsClosed } from '../../application/accounts/account-errors.js';
import type {
  AccountRecord,
  AccountStore,
  SessionRecord,
} from '../../application/ports/accounts/account-store.js';

/** `AccountStore` in memory: a node without a data dir, and tests. Keeps nothing across a close or restart. */
export class MemoryAccountStore implements AccountStore {
  readonly #accounts = new Map<string, AccountRecord>();
  readonly #sessions = new Map<string, SessionRecord>();
  #closed = false;

  createAccount(account: AccountRecord): boolean {
    this.#open();
    if (this.#accounts.has(account.name)) return false;
    this.#accounts.set(account.name, { ...account });
    return true;
  }

  getAccount(name: string): AccountRecord | undefined {
    this.#open();
    const account = this.#accounts.get(name);
    return account && { ...account };
  }

  listAccounts(): AccountRecord[] {
    this.#open();
    return [...this.#accounts.values()].sort((a, b) => (a.name < b.name ? -1 : 1)).map((a) => ({ ...a }));
  }

  deleteAccount(name: string): number | undefined {
    this.#open();
    if (!this.#accounts.delete(name)) return undefined;
    let removed = 0;
    for (const [hash, session] of this.#sessions) {
      if (session.name === name) {
        this.#sessions.delete(hash);
        removed++;
      }
    }
    return removed;
  }

  setLastSeen(name: string, at: number): void {
    this.#open();
    const account = this.#accounts.get(name);
    if (account) this.#accounts.set(name, { ...account, lastSeen: at });
  }

  addSession(session: SessionRecord): boolean {
    this.#open();
    if (!this.#accounts.has(session.name) || this.#sessions.has(session.tokenHash)) return false;
    this.#sessions.set(session.tokenHash, { ...session });
    return true;
  }

  getSession(tokenHash: string): SessionRecord | undefined {
    this.#open();
    const session = this.#sessions.get(tokenHash);
    return session && { ...session };
  }

  deleteSession(tokenHash: string): boolean {
    this.#open();
    return this.#sessions.delete(tokenHash);
  }

  deleteExpiredSessions(now: number): number {
    this.#open();
    let removed = 0;
    for (const [hash, session] of this.#sessions) {
      if (session.expiresAt <= now) {
        this.#sessions.delete(hash);
        removed++;
      }
    }
    return removed;
  }

  close(): void {
    this.#closed = true;
  }

  #open(): void {
    if (this.#closed) throw new AccountsClosed();
  }
}
