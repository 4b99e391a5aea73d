import { describe, expect, it, vi } from 'vitest';
import { addUsers } from '../support/directory-mesh.js';
import { memoryHttpApp } from '../support/http-app.js';

async function expectError(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toContain('application/json');
  const body = (await response.json()) as { error: { code: string; message: string } };
  expect(body.error.code).toBe(code);
  expect(body.error.message).toMatch(/^[A-Z"].{10,}[.)]$/);
}

describe('GET /users (app.request)', () => {
  it("answers this node's users by name with their presence, and the list's version in a header", async () => {
    const { app, a } = await memoryHttpApp();
    const empty = await app.request('/users');
    expect(empty.status).toBe(200);
    expect(await empty.json()).toEqual([]);
    const first = Number(empty.headers.get('Meshchat-Directory-Version'));
    expect(first).toBeGreaterThan(0);
    addUsers(a, 'carol', 'alice');
    a.presence.opened('carol', 'c1', 'ws');
    const response = await app.request('/users?scope=node');
    expect(await response.json()).toEqual([
      { user: 'alice@a', online: false, lastSeen: null },
      { user: 'carol@a', online: true, lastSeen: null },
    ]);
    expect(Number(response.headers.get('Meshchat-Directory-Version'))).toBeGreaterThan(first);
    // Asked again with nothing changed, the version stays.
    const again = await app.request('/users');
    expect(again.headers.get('Meshchat-Directory-Version')).toBe(
      response.headers.get('Meshchat-Directory-Version'),
    );
  });

  it('?scope=mesh answers from the replicated directory, with the nodes answered and missing', async () => {
    const { app, a, b } = await memoryHttpApp();
    addUsers(a, 'alice');
    addUsers(b, 'bob');
    b.presence.opened('bob', 'c1', 'socket.io');
    // b's version is not known yet: b is in neither list (as a plain node would be).
    expect(await (await app.request('/users?scope=mesh')).json()).toEqual({
      users: [{ user: 'alice@a', online: false, lastSeen: null }],
      answered: ['a'],
      missing: [],
    });
    // One gossip round tells a b's version; a pulls b's list once.
    await a.membership.antiEntropy.round();
    await vi.waitFor(async () => {
      const body = (await (await app.request('/users?scope=mesh')).json()) as { answered: string[] };
      expect(body.answered).toEqual(['a', 'b']);
    });
    expect(await (await app.request('/users?scope=mesh')).json()).toEqual({
      users: [
        { user: 'alice@a', online: false, lastSeen: null },
        { user: 'bob@b', online: true, lastSeen: null },
      ],
      answered: ['a', 'b'],
      missing: [],
    });
    const nodes = (await (await app.request('/nodes')).json()) as { id: string; directory?: number }[];
    expect(nodes.find((n) => n.id === 'b')?.directory).toBe(b.ownDirectory.snapshot().version);
  });

  it('refuses a scope that is neither node nor mesh with 400 invalid_scope', async () => {
    const { app } = await memoryHttpApp();
    await expectError(await app.request('/users?scope=foo'), 400, 'invalid_scope');
    await expectError(await app.request('/users?scope='), 400, 'invalid_scope');
    await expectError(await app.request(`/users?scope=${'x'.repeat(5000)}`), 400, 'invalid_scope');
  });
});
