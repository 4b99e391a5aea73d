import { beforeEach, describe, expect, it } from 'vitest';
import type { createHttpApp } from '../../src/adapters/http/create-http-app.js';
import { SESSION_LIFETIME_MS } from '../../src/application/accounts/login.js';
import type { FakeClock } from '../fakes/fake-clock.js';
import type { MemoryNode } from '../fakes/in-memory-network.js';
import type { RecordingAuditTrail } from '../fakes/recording-audit-trail.js';
import { memoryHttpApp } from '../support/http-app.js';

type App = ReturnType<typeof createHttpApp>;
type AccountsOfApp = Awaited<ReturnType<typeof memoryHttpApp>>['accounts'];

const PASSWORD = 'correct horse battery';
const CHALLENGE = 'Bearer realm="meshchat"';

/** A request as a client on `address` sends it (the node reads the TCP peer's address, never a header). */
function from(address: string) {
  return { incoming: { socket: { remoteAddress: address } } };
}

function request(
  method: string,
  body?: unknown,
  options: { token?: string; authorization?: string; type?: string } = {},
): RequestInit {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['Content-Type'] = options.type ?? 'application/json';
  if (options.token !== undefined) headers.Authorization = `Bearer ${options.token}`;
  if (options.authorization !== undefined) headers.Authorization = options.authorization;
  return {
    method,
    headers,
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  };
}

/** Asserts a refusal: its status (never a fault's 500), a JSON error body with the code and a sentence. */
async function expectError(response: Response, status: number, code: string) {
  expect(status).not.toBe(500);
  expect(response.status, code).toBe(status);
  expect(response.headers.get('content-type')).toContain('application/json');
  const body = (await response.json()) as { error: { code: string; message: string } };
  expect(body.error.code).toBe(code);
  expect(body.error.message).toMatch(/^[A-Z"].{10,}[.)]$/);
  return body;
}

describe('account routes (app.request)', () => {
  let app: App;
  let accounts: AccountsOfApp;
  let audit: RecordingAuditTrail;
  let clock: FakeClock;
  let a: MemoryNode;

  const register = (body: unknown, type?: string) => app.request('/users', request('POST', body, { type }));
  const login = (body: unknown, env?: object) => app.request('/sessions', request('POST', body), env);
  const logout = (options: { token?: string; authorization?: string } = {}) =>
    app.request('/sessions/current', request('DELETE', undefined, options));
  const unregister = (name: string, body: unknown, options: { token?: string; type?: string } = {}) =>
    app.request(`/users/${name}`, request('DELETE', body, options));

  async function tokenOf(name: string, password = PASSWORD): Promise<string> {
    const response = await login({ name, password });
    expect(response.status).toBe(201);
    return ((await response.json()) as { token: string }).token;
  }

  beforeEach(async () => {
    ({ app, accounts, audit, clock, a } = await memoryHttpApp());
    expect((await register({ name: 'alice', password: PASSWORD })).status).toBe(201);
    expect((await register({ name: 'bob', password: PASSWORD })).status).toBe(201);
  });

  describe('POST /users', () => {
    it('registers name@node, lower-case, and answers 201 {user, createdAt}', async () => {
      const response = await register({ name: 'Carol.B-2_x', password: PASSWORD });
      expect(response.status).toBe(201);
      expect(await response.json()).toEqual({
        user: 'carol.b-2_x@a',
        createdAt: new Date(clock.now()).toISOString(),
      });
      expect(audit.summary()).toContain('register:carol.b-2_x:ok');
    });

    it('refuses a taken name in any case with 409 name_taken', async () => {
      await expectError(await register({ name: 'ALICE', password: PASSWORD }), 409, 'name_taken');
    });

    it('refuses every name that breaks the rules with 400 invalid_name', async () => {
      for (const name of [
        '',
        '-a',
        '.a',
        'a b',
        'a/b',
        'a@b',
        'x'.repeat(33),
        'é',
        'K\u212a',
        5,
        null,
        true,
        {},
      ]) {
        await expectError(await register({ name, password: PASSWORD }), 400, 'invalid_name');
      }
      await expectError(await register({ password: PASSWORD }), 400, 'invalid_name');
      expect(accounts.listUsers.execute().map((u) => u.user)).toEqual(['alice@a', 'bob@a']);
    });

    it('refuses short, over-long and non-string passwords', async () => {
      await expectError(await register({ name: 'carol', password: 'short' }), 400, 'weak_password');
      await expectError(await register({ name: 'carol', password: '1234567' }), 400, 'weak_password');
      await expectError(
        await register({ name: 'carol', password: 'x'.repeat(1025) }),
        400,
        'invalid_password',
      );
      await expectError(
        await register({ name: 'carol', password: 'é'.repeat(600) }),
        400,
        'invalid_password',
      );
      for (const password of [12345678, null, ['x'.repeat(8)]]) {
        await expectError(await register({ name: 'carol', password }), 400, 'invalid_password');
      }
      await expectError(await register({ name: 'carol' }), 400, 'invalid_password');
      expect((await register({ name: 'carol', password: '12345678' })).status).toBe(201);
    });

    it('refuses malformed bodies before any rule', async () => {
      await expectError(await register('{"name":'), 400, 'malformed_json');
      await expectError(await register('[]'), 400, 'invalid_body');
      await expectError(await register('"alice"'), 400, 'invalid_body');
      await expectError(await register('name=carol', 'text/plain'), 415, 'unsupported_media_type');
      await expectError(await app.request('/users', { method: 'POST' }), 415, 'unsupported_media_type');
      await expectError(
        await register({ name: 'carol', password: 'x'.repeat(600 * 1024) }),
        413,
        'body_too_large',
      );
    });
  });

  describe('POST /sessions', () => {
    it('answers 201 {token, user, expiresAt}, not to be cached', async () => {
      const response = await login({ name: 'Alice', password: PASSWORD });
      expect(response.status).toBe(201);
      expect(response.headers.get('cache-control')).toBe('no-store');
      const session = (await response.json()) as { token: string; user: string; expiresAt: string };
      expect(session).toEqual({
        token: expect.any(String),
        user: 'alice@a',
        expiresAt: new Date(clock.now() + SESSION_LIFETIME_MS).toISOString(),
      });
      expect(accounts.authenticate.execute(session.token).name).toBe('alice');
    });

    it('gives a wrong password, an unknown name and a malformed name the same 401 bad_credentials', async () => {
      const answers = [];
      for (const body of [
        { name: 'alice', password: 'wrong password' },
        { name: 'nobody', password: PASSWORD },
        { name: '-bad name-', password: PASSWORD },
        { name: 'alice', password: 'x'.repeat(5000) },
        { name: 'alice' },
        { name: 7, password: 7 },
      ]) {
        const response = await login(body);
        expect(response.headers.get('www-authenticate')).toBe(CHALLENGE);
        answers.push(await expectError(response, 401, 'bad_credentials'));
      }
      expect(new Set(answers.map((x) => JSON.stringify(x))).size).toBe(1);
    });

    it('refuses malformed bodies', async () => {
      await expectError(await login('{'), 400, 'malformed_json');
      await expectError(await login('null'), 400, 'invalid_body');
    });

    it('locks a name out after 5 failures with 429 and Retry-After, even for the right password, then lets it in', async () => {
      for (let i = 0; i < 5; i++) {
        await expectError(await login({ name: 'alice', password: `wrong ${i}` }), 401, 'bad_credentials');
      }
      const locked = await login({ name: 'alice', password: PASSWORD });
      await expectError(locked, 429, 'rate_limited');
      expect(locked.headers.get('retry-after')).toBe('900');
      await clock.advance(600_000);
      const later = await login({ name: 'ALICE', password: PASSWORD });
      await expectError(later, 429, 'rate_limited');
      expect(later.headers.get('retry-after')).toBe('300');
      // Another name is not locked by alice's failures.
      expect((await login({ name: 'bob', password: PASSWORD })).status).toBe(201);
      await clock.advance(300_000);
      expect((await login({ name: 'alice', password: PASSWORD })).status).toBe(201);
      expect(audit.summary()).toContain('login:alice:rate_limited');
    });

    it('limits failures per client address (the connection), whatever the names', async () => {
      for (let i = 0; i < 20; i++) {
        await expectError(
          await login({ name: `guess${i}`, password: 'x' }, from('10.0.0.7')),
          401,
          'bad_credentials',
        );
      }
      const locked = await login({ name: 'bob', password: PASSWORD }, from('10.0.0.7'));
      await expectError(locked, 429, 'rate_limited');
      expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
      // A header cannot move the client to another address.
      const forwarded = await app.request(
        '/sessions',
        {
          ...request('POST', { name: 'bob', password: PASSWORD }),
          headers: { 'Content-Type': 'application/json', 'X-Forwarded-For': '10.0.0.8' },
        },
        from('10.0.0.7'),
      );
      await expectError(forwarded, 429, 'rate_limited');
      expect((await login({ name: 'bob', password: PASSWORD }, from('10.0.0.8'))).status).toBe(201);
      expect(audit.records.some((r) => r.object === 'client 10.0.0.7' && r.outcome === 'rate_limited')).toBe(
        true,
      );
    });
  });

  describe('DELETE /sessions/current', () => {
    it('logs out: 200, and the token is refused from then on', async () => {
      const token = await tokenOf('alice');
      const response = await logout({ token });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ ok: true, user: 'alice@a' });
      const again = await logout({ token });
      expect(again.headers.get('www-authenticate')).toBe(CHALLENGE);
      await expectError(again, 401, 'unauthenticated');
    });

    it('answers 401 unauthenticated with WWW-Authenticate for a missing, malformed, unknown or expired token', async () => {
      const token = await tokenOf('alice');
      const cases: { authorization?: string; token?: string }[] = [
        {},
        { authorization: '' },
        { authorization: 'Bearer' },
        { authorization: 'Bearer ' },
        { authorization: `Basic ${Buffer.from('alice:x').toString('base64')}` },
        { authorization: `Bearer ${token} extra` },
        { authorization: `Token ${token}` },
        { token: 'token-999' },
        { token: 'x'.repeat(600) },
        { token: `${token}x` },
      ];
      for (const options of cases) {
        const response = await logout(options);
        expect(response.headers.get('www-authenticate'), JSON.stringify(options)).toBe(CHALLENGE);
        await expectError(response, 401, 'unauthenticated');
      }
      await clock.advance(SESSION_LIFETIME_MS);
      const expired = await expectError(await logout({ token }), 401, 'unauthenticated');
      expect(expired.error.message).toMatch(/expired/);
    });
  });

  describe('DELETE /users/{name}', () => {
    it("unregisters with the user's token and password, revokes the sessions and closes the connections", async () => {
      const token = await tokenOf('alice');
      const other = await tokenOf('alice');
      const response = await unregister('ALICE', { password: PASSWORD }, { token });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ ok: true, user: 'alice@a' });
      expect(a.users.disconnected).toEqual(['alice']);
      await expectError(await logout({ token: other }), 401, 'unauthenticated');
      await expectError(await login({ name: 'alice', password: PASSWORD }), 401, 'bad_credentials');
      expect(accounts.listUsers.execute().map((u) => u.user)).toEqual(['bob@a']);
      expect(audit.summary()).toContain('unregister:alice:ok');
      // The name is free again.
      expect((await register({ name: 'alice', password: PASSWORD })).status).toBe(201);
    });

    it("refuses another user's token with 403 forbidden and keeps the account", async () => {
      const bobs = await tokenOf('bob');
      await expectError(await unregister('alice', { password: PASSWORD }, { token: bobs }), 403, 'forbidden');
      await expectError(
        await unregister('nobody', { password: PASSWORD }, { token: bobs }),
        403,
        'forbidden',
      );
      await expectError(await unregister('-bad-', { password: PASSWORD }, { token: bobs }), 403, 'forbidden');
      expect((await login({ name: 'alice', password: PASSWORD })).status).toBe(201);
      expect(a.users.disconnected).toEqual([]);
    });

    it('refuses a missing, unknown or expired token with 401 unauthenticated', async () => {
      const token = await tokenOf('alice');
      await expectError(await unregister('alice', { password: PASSWORD }), 401, 'unauthenticated');
      await expectError(
        await unregister('alice', { password: PASSWORD }, { token: 'nope' }),
        401,
        'unauthenticated',
      );
      await clock.advance(SESSION_LIFETIME_MS + 1);
      await expectError(await unregister('alice', { password: PASSWORD }, { token }), 401, 'unauthenticated');
      expect(accounts.listUsers.execute()).toHaveLength(2);
    });

    it('refuses a wrong or over-long password with 401 bad_credentials, counted towards the lockout', async () => {
      const token = await tokenOf('alice');
      await expectError(
        await unregister('alice', { password: 'wrong one' }, { token }),
        401,
        'bad_credentials',
      );
      await expectError(
        await unregister('alice', { password: 'x'.repeat(2000) }, { token }),
        401,
        'bad_credentials',
      );
      await expectError(await unregister('alice', { password: 42 }, { token }), 401, 'bad_credentials');
      await expectError(await unregister('alice', {}, { token }), 401, 'bad_credentials');
      for (let i = 0; i < 2; i++) await login({ name: 'alice', password: 'wrong' });
      const locked = await unregister('alice', { password: PASSWORD }, { token });
      await expectError(locked, 429, 'rate_limited');
      expect(locked.headers.get('retry-after')).toBe('900');
      expect(accounts.listUsers.execute()).toHaveLength(2);
    });

    it('refuses malformed bodies', async () => {
      const token = await tokenOf('alice');
      await expectError(await unregister('alice', '{"password"', { token }), 400, 'malformed_json');
      await expectError(await unregister('alice', '[1]', { token }), 400, 'invalid_body');
      await expectError(
        await unregister('alice', 'pw', { token, type: 'text/plain' }),
        415,
        'unsupported_media_type',
      );
      await expectError(
        await app.request('/users/alice', request('DELETE', undefined, { token })),
        415,
        'unsupported_media_type',
      );
      expect(accounts.listUsers.execute()).toHaveLength(2);
    });
  });

  it('answers 503 node_stopping, not a 5xx fault, once the account store is closed', async () => {
    const token = await tokenOf('alice');
    accounts.accounts.close();
    await expectError(await register({ name: 'carol', password: PASSWORD }), 503, 'node_stopping');
    await expectError(await login({ name: 'alice', password: PASSWORD }), 503, 'node_stopping');
    await expectError(await logout({ token }), 503, 'node_stopping');
    await expectError(await unregister('alice', { password: PASSWORD }, { token }), 503, 'node_stopping');
  });

  it('takes no other methods on the account paths', async () => {
    await expectError(await app.request('/sessions'), 405, 'method_not_allowed');
    await expectError(await app.request('/sessions/current', request('POST', {})), 405, 'method_not_allowed');
    await expectError(await app.request('/users/alice', request('PUT', {})), 405, 'method_not_allowed');
  });
});
