// The client core's account calls (used by the web page) against a node's real HTTP app, no port needed, and
// against answers no node should give.
import { describe, expect, it } from 'vitest';
import { AccountsApi, type HttpRequest, parseMeshUsers } from '../../src/client/index.js';
import { memoryHttpApp } from '../support/http-app.js';

/** The requests of the API answered by `app.request`, each as if from the page's origin. */
function over(app: { request(path: string, init: RequestInit): Response | Promise<Response> }): HttpRequest {
  return async (path, init) => app.request(path, init);
}

describe('client core: account calls', () => {
  it('registers, signs in, lists the mesh and signs out; refusals come back in the node words', async () => {
    const { app } = await memoryHttpApp();
    const api = new AccountsApi(over(app));
    expect(await api.register('alice', 'correct horse')).toEqual({ ok: true, value: { user: 'alice@a' } });
    const taken = await api.register('alice', 'correct horse');
    expect(taken).toMatchObject({ ok: false, error: { code: 'name_taken' } });
    if (!taken.ok) expect(taken.error.message).toContain('taken');
    expect(await api.register('bob', 'short')).toMatchObject({ ok: false, error: { code: 'weak_password' } });

    const wrong = await api.signIn('alice', 'wrong password');
    expect(wrong).toMatchObject({ ok: false, error: { code: 'bad_credentials' } });
    const signed = await api.signIn('alice', 'correct horse');
    if (!signed.ok) throw new Error(signed.error.message);
    expect(signed.value.user).toBe('alice@a');
    expect(signed.value.token).toBe('token-1');

    const mesh = await api.meshUsers();
    if (!mesh.ok) throw new Error(mesh.error.message);
    expect(mesh.value.answered).toContain('a');
    expect(await api.signOut(signed.value.token)).toEqual({ ok: true, value: true });
    expect(await api.signOut(signed.value.token)).toMatchObject({
      ok: false,
      error: { code: 'unauthenticated' },
    });
  });

  it('gives the wait of a rate-limited sign-in from Retry-After', async () => {
    const { app } = await memoryHttpApp();
    const api = new AccountsApi(over(app));
    await api.register('alice', 'correct horse');
    for (let i = 0; i < 5; i++) await api.signIn('alice', 'wrong password');
    const limited = await api.signIn('alice', 'wrong password');
    expect(limited).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
    if (!limited.ok) expect(limited.error.retryAfterSeconds).toBeGreaterThan(0);
  });

  it('turns an unreachable node, an unknown answer and a bad list into refusals, never a throw', async () => {
    const failing = new AccountsApi(() => Promise.reject(new TypeError('Failed to fetch')));
    expect(await failing.signIn('a', 'b')).toMatchObject({ ok: false, error: { code: 'unreachable' } });
    const answer =
      (status: number, body: string): HttpRequest =>
      async () =>
        new Response(body, { status });
    expect(await new AccountsApi(answer(201, '{"token":1}')).signIn('a', 'b')).toMatchObject({
      ok: false,
      error: { code: 'bad_answer' },
    });
    expect(await new AccountsApi(answer(502, '<html>')).meshUsers()).toMatchObject({
      ok: false,
      error: { code: 'unreachable' },
    });
    expect(await new AccountsApi(answer(500, '')).meshUsers()).toMatchObject({
      ok: false,
      error: { code: 'http_500' },
    });
    expect(
      parseMeshUsers({
        users: [
          { user: 'a@n', online: true, lastSeen: null },
          { user: 'a@n', online: false },
          { user: 'no-address', online: true },
          { user: 'b@n', online: 'yes' },
          '<img src=x>',
        ],
        answered: ['n', 7],
        missing: 'm',
      }),
    ).toEqual({ users: [{ user: 'a@n', online: true, lastSeen: null }], answered: ['n'], missing: [] });
    expect(parseMeshUsers([])).toBeUndefined();
  });
});
