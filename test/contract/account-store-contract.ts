import { afterEach, describe, expect, it } from 'vitest';
import { AccountsClosed } from '../../src/application/accounts/account-errors.js';
import type { AccountStore } from '../../src/application/ports/accounts/account-store.js';

/** A store under test and, for a durable one, a way to restart it over the same data. */
export interface AccountStoreTarget {
  readonly store: AccountStore;
  /** Closes the store and opens a new one over the same data; absent when nothing survives a close. */
  readonly reopen?: () => AccountStore;
}

const account = (name: string, createdAt = 1_000) => ({ name, passwordHash: `hash of ${name}`, createdAt });
const session = (tokenHash: string, name: string, expiresAt = 10_000) => ({
  tokenHash,
  name,
  createdAt: 1_000,
  expiresAt,
});

/** What every AccountStore must do, wherever it keeps the data. */
export function describeAccountStoreContract(
  name: string,
  setup: () => AccountStoreTarget,
  options: { durable: boolean },
): void {
  describe(`AccountStore contract: ${name}`, () => {
    const open: AccountStore[] = [];
    afterEach(() => {
      for (const store of open.splice(0)) store.close();
    });
    const start = () => {
      const target = setup();
      open.push(target.store);
      return target;
    };

    it('creates an account once per name, and reads it back as it was given', () => {
      const { store } = start();
      expect(store.createAccount(account('alice'))).toBe(true);
      expect(store.createAccount({ ...account('alice'), passwordHash: 'other' })).toBe(false);
      expect(store.getAccount('alice')).toEqual(account('alice'));
      expect(store.getAccount('bob')).toBeUndefined();
    });

    it('lists accounts by name', () => {
      const { store } = start();
      for (const n of ['carol', 'alice', 'bob']) store.createAccount(account(n));
      expect(store.listAccounts().map((a) => a.name)).toEqual(['alice', 'bob', 'carol']);
    });

    it('records last seen for known accounts only', () => {
      const { store } = start();
      store.createAccount(account('alice'));
      store.setLastSeen('alice', 5_000);
      store.setLastSeen('ghost', 5_000);
      expect(store.getAccount('alice')?.lastSeen).toBe(5_000);
      expect(store.getAccount('ghost')).toBeUndefined();
      expect(store.listAccounts()).toEqual([{ ...account('alice'), lastSeen: 5_000 }]);
    });

    it('keeps sessions of existing accounts only, once per token hash, and revokes them one by one', () => {
      const { store } = start();
      store.createAccount(account('alice'));
      expect(store.addSession(session('h1', 'alice'))).toBe(true);
      expect(store.addSession(session('h1', 'alice', 99))).toBe(false);
      expect(store.addSession(session('h2', 'nobody'))).toBe(false);
      expect(store.getSession('h1')).toEqual(session('h1', 'alice'));
      expect(store.getSession('h2')).toBeUndefined();
      expect(store.deleteSession('h1')).toBe(true);
      expect(store.deleteSession('h1')).toBe(false);
      expect(store.getSession('h1')).toBeUndefined();
    });

    it('returns expired sessions until they are swept, and sweeps only those at or past their expiry', () => {
      const { store } = start();
      store.createAccount(account('alice'));
      store.addSession(session('old', 'alice', 2_000));
      store.addSession(session('edge', 'alice', 3_000));
      store.addSession(session('new', 'alice', 4_000));
      expect(store.getSession('old')?.expiresAt).toBe(2_000);
      expect(store.deleteExpiredSessions(3_000)).toBe(2);
      expect(store.getSession('old')).toBeUndefined();
      expect(store.getSession('edge')).toBeUndefined();
      expect(store.getSession('new')).toBeDefined();
    });

    it('deletes an account with all its sessions and no one else’s; the name is free again', () => {
      const { store } = start();
      store.createAccount(account('alice'));
      store.createAccount(account('bob'));
      store.addSession(session('a1', 'alice'));
      store.addSession(session('a2', 'alice'));
      store.addSession(session('b1', 'bob'));
      expect(store.deleteAccount('alice')).toBe(2);
      expect(store.deleteAccount('alice')).toBeUndefined();
      expect(store.getAccount('alice')).toBeUndefined();
      expect(store.getSession('a1')).toBeUndefined();
      expect(store.getSession('a2')).toBeUndefined();
      expect(store.getSession('b1')).toBeDefined();
      expect(store.createAccount(account('alice', 2_000))).toBe(true);
      expect(store.getAccount('alice')?.createdAt).toBe(2_000);
    });

    it('refuses calls after close with AccountsClosed', () => {
      const { store } = start();
      store.close();
      expect(() => store.getAccount('alice')).toThrow(AccountsClosed);
      expect(() => store.createAccount(account('alice'))).toThrow(AccountsClosed);
      store.close();
    });

    // Declared only for durable stores, so a store that keeps nothing reports no skipped test.
    if (!options.durable) return;
    it('keeps accounts, last seen and sessions across a reopen', () => {
      const target = start();
      if (!target.reopen) throw new Error('a durable store under test must give a way to reopen it');
      target.store.createAccount(account('alice'));
      target.store.setLastSeen('alice', 7_000);
      target.store.addSession(session('h1', 'alice'));
      const again = target.reopen();
      open.push(again);
      expect(again.getAccount('alice')).toEqual({ ...account('alice'), lastSeen: 7_000 });
      expect(again.getSession('h1')).toEqual(session('h1', 'alice'));
    });
  });
}
