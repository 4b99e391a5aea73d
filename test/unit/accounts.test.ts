import { describe, expect, it } from 'vitest';
import {
  BadCredentials,
  Forbidden,
  NameTaken,
  RateLimited,
  Unauthenticated,
} from '../../src/application/accounts/account-errors.js';
import { SESSION_LIFETIME_MS } from '../../src/application/accounts/login.js';
import type { PublishedFiles } from '../../src/application/ports/files/published-files.js';
import { InvalidInput } from '../../src/domain/errors.js';
import { FakePasswordHasher } from '../fakes/fake-password-hasher.js';
import { accountsOnFakes } from '../support/accounts.js';

const PASSWORD = 'correct horse';

async function withAlice(options: Parameters<typeof accountsOnFakes>[0] = {}) {
  const hasher = new FakePasswordHasher();
  const accounts = accountsOnFakes({ hasher, ...options });
  await accounts.register.execute({ name: 'Alice', password: PASSWORD });
  return { ...accounts, hasher };
}

describe('Register', () => {
  it('makes an account under the lower-case name and answers its address and time', async () => {
    const { register, store, clock, audit } = accountsOnFakes();
    const answer = await register.execute({ name: 'Alice', password: PASSWORD });
    expect(answer).toEqual({ user: 'alice@node-a', createdAt: new Date(clock.now()).toISOString() });
    expect(store.getAccount('alice')?.passwordHash).not.toContain('undefined');
    expect(store.getAccount('alice')?.passwordHash).not.toBe(PASSWORD);
    expect(audit.records).toEqual([
      {
        at: '2026-01-01T00:00:00.000Z',
        node: 'node-a',
        user: 'alice',
        op: 'register',
        object: 'account alice@node-a',
        outcome: 'ok',
      },
    ]);
  });

  it('refuses a taken name in any case, without hashing, and audits it', async () => {
    const { register, hasher, audit } = await withAlice();
    const before = hasher.hashes;
    await expect(register.execute({ name: 'ALICE', password: 'another one' })).rejects.toThrow(NameTaken);
    expect(hasher.hashes).toBe(before);
    expect(audit.summary()).toEqual(['register:alice:ok', 'register:alice:name_taken']);
  });

  it('refuses bad names and weak passwords with their codes', async () => {
    const { register, store } = accountsOnFakes();
    await expect(register.execute({ name: 'a b', password: PASSWORD })).rejects.toMatchObject({
      code: 'invalid_name',
    });
    await expect(register.execute({ name: 'bob', password: 'short' })).rejects.toMatchObject({
      code: 'weak_password',
    });
    await expect(register.execute({ name: 'bob', password: { x: 1 } })).rejects.toBeInstanceOf(InvalidInput);
    expect(store.listAccounts()).toEqual([]);
  });
});

describe('Login and Authenticate', () => {
  it('opens a session whose token authenticates the user until it expires', async () => {
    const { login, authenticate, clock, store } = await withAlice();
    const session = await login.execute({ name: 'ALICE', password: PASSWORD, client: '10.0.0.1' });
    expect(session).toEqual({
      token: 'token-1',
      user: 'alice@node-a',
      expiresAt: new Date(clock.now() + SESSION_LIFETIME_MS).toISOString(),
    });
    // Only the hash is stored.
    expect(store.getSession('token-1')).toBeUndefined();
    expect(authenticate.execute('token-1')).toMatchObject({ name: 'alice', user: 'alice@node-a' });
    await clock.advance(SESSION_LIFETIME_MS - 1);
    expect(authenticate.execute('token-1').name).toBe('alice');
    await clock.advance(1);
    expect(() => authenticate.execute('token-1')).toThrow(/expired/);
    expect(store.getSession('hash(token-1)')).toBeDefined();
    // The next login sweeps it away.
    await login.execute({ name: 'alice', password: PASSWORD });
    expect(store.getSession('hash(token-1)')).toBeUndefined();
  });

  it('answers an unknown name, a wrong password and a malformed name alike, each after one verification', async () => {
    const { login, hasher, audit } = await withAlice();
    const outcomes = [];
    for (const input of [
      { name: 'nobody', password: PASSWORD },
      { name: 'alice', password: 'wrong password' },
      { name: 'not a name!', password: PASSWORD },
      { name: 'alice', password: 'x'.repeat(5_000) },
    ]) {
      const before = hasher.verifications;
      const error = await login.execute(input).catch((e: unknown) => e);
      outcomes.push({ error: error instanceof BadCredentials, message: (error as Error).message });
      expect(hasher.verifications - before).toBe(1);
    }
    expect(new Set(outcomes.map((o) => JSON.stringify(o)))).toEqual(
      new Set([JSON.stringify({ error: true, message: 'The user name or password is wrong.' })]),
    );
    expect(audit.summary().slice(1)).toEqual([
      'login:nobody:bad_credentials',
      'login:alice:bad_credentials',
      'login:-:bad_credentials',
      'login:alice:bad_credentials',
    ]);
  });

  it('refuses missing, unknown, oversized and revoked tokens as unauthenticated', async () => {
    const { login, logout, authenticate } = await withAlice();
    for (const token of [undefined, '', 'token-99', 'x'.repeat(600), 42]) {
      expect(() => authenticate.execute(token)).toThrow(Unauthenticated);
    }
    const { token } = await login.execute({ name: 'alice', password: PASSWORD });
    expect(logout.execute(token)).toEqual({ user: 'alice@node-a' });
    expect(() => authenticate.execute(token)).toThrow(/revoked/);
    expect(() => logout.execute(token)).toThrow(Unauthenticated);
  });

  it("says a token it does not know may be another node's: tokens work only where they were given", async () => {
    const { authenticate } = await withAlice();
    // Alice logged in on node-b and sends that token to node-a: unknown here.
    expect(() => authenticate.execute('token-of-node-b')).toThrow(
      'This login token is unknown to node node-a: revoked, or given by another node (a token works only on ' +
        'the node that gave it, your home node); log in again.',
    );
  });

  it('keeps other sessions of the user when one logs out', async () => {
    const { login, logout, authenticate, audit } = await withAlice();
    const first = await login.execute({ name: 'alice', password: PASSWORD });
    const second = await login.execute({ name: 'alice', password: PASSWORD });
    logout.execute(first.token);
    expect(authenticate.execute(second.token).name).toBe('alice');
    expect(audit.records.at(-1)).toMatchObject({ op: 'logout', object: 'session hash(token-1' });
  });
});

describe('failed logins are slowed per name and per client address', () => {
  it('refuses the 6th attempt on a name within 15 minutes, without verifying, until the oldest failure ages out', async () => {
    const { login, clock, hasher, audit } = await withAlice();
    for (let i = 0; i < 5; i++) {
      await expect(
        login.execute({ name: 'alice', password: `wrong ${i}!!`, client: `10.0.0.${i}` }),
      ).rejects.toThrow(BadCredentials);
      await clock.advance(60_000);
    }
    const before = hasher.verifications;
    const refused = await login
      .execute({ name: 'alice', password: PASSWORD, client: '10.9.9.9' })
      .catch((e) => e);
    expect(refused).toBeInstanceOf(RateLimited);
    // The first failure was 5 minutes ago: it leaves the 15-minute window in 10 minutes.
    expect((refused as RateLimited).retryAfterSeconds).toBe(600);
    expect(hasher.verifications).toBe(before);
    expect(audit.summary().at(-1)).toBe('login:alice:rate_limited');
    await clock.advance(600_000 - 1);
    await expect(login.execute({ name: 'alice', password: PASSWORD })).rejects.toThrow(RateLimited);
    await clock.advance(1);
    await expect(login.execute({ name: 'alice', password: PASSWORD })).resolves.toMatchObject({
      user: 'alice@node-a',
    });
  });

  it('a success clears the name, and other names are not affected', async () => {
    const { login, register } = await withAlice();
    await register.execute({ name: 'bob', password: PASSWORD });
    for (let i = 0; i < 4; i++) {
      await expect(login.execute({ name: 'alice', password: 'wrong one' })).rejects.toThrow(BadCredentials);
    }
    await login.execute({ name: 'alice', password: PASSWORD });
    for (let i = 0; i < 4; i++) {
      await expect(login.execute({ name: 'alice', password: 'wrong one' })).rejects.toThrow(BadCredentials);
    }
    await expect(login.execute({ name: 'alice', password: PASSWORD })).resolves.toBeDefined();
    await expect(login.execute({ name: 'bob', password: PASSWORD })).resolves.toBeDefined();
  });

  it('refuses a client address after 20 failures over many names', async () => {
    const { login, register } = await withAlice();
    for (let i = 0; i < 20; i++) {
      await expect(
        login.execute({ name: `guess${i}`, password: PASSWORD, client: '10.6.6.6' }),
      ).rejects.toThrow(BadCredentials);
    }
    await register.execute({ name: 'bob', password: PASSWORD });
    await expect(login.execute({ name: 'bob', password: PASSWORD, client: '10.6.6.6' })).rejects.toThrow(
      RateLimited,
    );
    await expect(
      login.execute({ name: 'bob', password: PASSWORD, client: '10.0.0.2' }),
    ).resolves.toBeDefined();
  });

  it('forgets the least recently failed keys past its bound', async () => {
    const { login } = await withAlice({ throttle: { maxKeys: 4, maxFailuresPerName: 1 } });
    await expect(login.execute({ name: 'alice', password: 'wrong one' })).rejects.toThrow(BadCredentials);
    await expect(login.execute({ name: 'alice', password: PASSWORD })).rejects.toThrow(RateLimited);
    // Two more names push alice's key out.
    await expect(login.execute({ name: 'x1', password: PASSWORD })).rejects.toThrow(BadCredentials);
    await expect(login.execute({ name: 'x2', password: PASSWORD })).rejects.toThrow(BadCredentials);
    await expect(login.execute({ name: 'x3', password: PASSWORD })).rejects.toThrow(BadCredentials);
    await expect(login.execute({ name: 'x4', password: PASSWORD })).rejects.toThrow(BadCredentials);
    await expect(login.execute({ name: 'alice', password: PASSWORD })).resolves.toBeDefined();
  });
});

describe('Unregister', () => {
  it('removes the account and every session of it, with the token and password of that user', async () => {
    const { login, unregister, authenticate, store, register, audit } = await withAlice();
    const a = await login.execute({ name: 'alice', password: PASSWORD });
    const b = await login.execute({ name: 'alice', password: PASSWORD });
    const removed = await unregister.execute({ token: a.token, name: 'Alice', password: PASSWORD });
    expect(removed).toEqual({ user: 'alice@node-a', sessionsRevoked: 2, filesRemoved: 0 });
    expect(store.getAccount('alice')).toBeUndefined();
    expect(() => authenticate.execute(b.token)).toThrow(Unauthenticated);
    expect(audit.summary().at(-1)).toBe('unregister:alice:ok');
    await expect(register.execute({ name: 'alice', password: PASSWORD })).resolves.toBeDefined();
  });

  it("removes the user's published files through PublishedFiles, once the account is gone", async () => {
    const calls: { name: string; node: string; accountLeft: boolean }[] = [];
    const files: PublishedFiles = {
      removeAllOf: async (owner) => {
        calls.push({ ...owner, accountLeft: store.getAccount(owner.name) !== undefined });
        return 3;
      },
    };
    const { login, unregister, store } = await withAlice({ files });
    const { token } = await login.execute({ name: 'alice', password: PASSWORD });
    await expect(unregister.execute({ token, name: 'alice', password: 'wrong password' })).rejects.toThrow(
      BadCredentials,
    );
    expect(calls).toEqual([]);
    expect(await unregister.execute({ token, name: 'alice', password: PASSWORD })).toMatchObject({
      filesRemoved: 3,
    });
    expect(calls).toEqual([{ name: 'alice', node: 'node-a', accountLeft: false }]);
  });

  it('a file store that fails after the account went rejects, with the unregistration audited ok', async () => {
    const files: PublishedFiles = {
      removeAllOf: async () => {
        throw new Error('disk gone');
      },
    };
    const { login, unregister, store, audit } = await withAlice({ files });
    const { token } = await login.execute({ name: 'alice', password: PASSWORD });
    await expect(unregister.execute({ token, name: 'alice', password: PASSWORD })).rejects.toThrow(
      'disk gone',
    );
    expect(store.getAccount('alice')).toBeUndefined();
    expect(audit.summary().filter((line) => line.startsWith('unregister'))).toEqual(['unregister:alice:ok']);
  });

  it('refuses another user’s token (403), a wrong password (401) and no token (401), keeping the account', async () => {
    const { login, unregister, register, store, audit } = await withAlice();
    await register.execute({ name: 'bob', password: PASSWORD });
    const bob = await login.execute({ name: 'bob', password: PASSWORD });
    const alice = await login.execute({ name: 'alice', password: PASSWORD });
    await expect(unregister.execute({ token: bob.token, name: 'alice', password: PASSWORD })).rejects.toThrow(
      Forbidden,
    );
    await expect(
      unregister.execute({ token: alice.token, name: 'alice', password: 'nope nope' }),
    ).rejects.toThrow(BadCredentials);
    await expect(unregister.execute({ token: undefined, name: 'alice', password: PASSWORD })).rejects.toThrow(
      Unauthenticated,
    );
    expect(store.getAccount('alice')).toBeDefined();
    expect(audit.summary().slice(-2)).toEqual([
      'unregister:bob:forbidden',
      'unregister:alice:bad_credentials',
    ]);
  });

  it('counts wrong passwords against the name like failed logins', async () => {
    const { login, unregister } = await withAlice();
    const { token } = await login.execute({ name: 'alice', password: PASSWORD });
    for (let i = 0; i < 5; i++) {
      await expect(unregister.execute({ token, name: 'alice', password: 'guess guess' })).rejects.toThrow(
        BadCredentials,
      );
    }
    await expect(unregister.execute({ token, name: 'alice', password: PASSWORD })).rejects.toThrow(
      RateLimited,
    );
  });
});
