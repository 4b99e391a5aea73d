import { describe, expect, it } from 'vitest';
import type { PresenceChange } from '../../src/application/accounts/presence.js';
import { accountsOnFakes } from '../support/accounts.js';

async function twoUsers() {
  const accounts = accountsOnFakes();
  await accounts.register.execute({ name: 'alice', password: 'password1' });
  await accounts.register.execute({ name: 'bob', password: 'password2' });
  const changes: PresenceChange[] = [];
  accounts.presence.onChange((change) => changes.push(change));
  return { ...accounts, changes };
}

describe('Presence', () => {
  it('is online while at least one connection lives, and stamps lastSeen at the last close', async () => {
    const { presence, clock, changes, store } = await twoUsers();
    const start = clock.now();
    presence.opened('alice', 'c1', 'socket.io');
    await clock.advance(1_000);
    presence.opened('alice', 'c2', 'ws');
    presence.closed('alice', 'c1', 'socket.io');
    expect(presence.isOnline('alice')).toBe(true);
    await clock.advance(2_000);
    presence.closed('alice', 'c2', 'ws');
    expect(presence.isOnline('alice')).toBe(false);
    expect(changes).toEqual([
      { user: 'alice@node-a', online: true, lastSeen: null },
      { user: 'alice@node-a', online: false, lastSeen: new Date(start + 3_000).toISOString() },
    ]);
    expect(store.getAccount('alice')?.lastSeen).toBe(start + 3_000);
    presence.opened('alice', 'c3', 'ws');
    expect(changes.at(-1)).toEqual({
      user: 'alice@node-a',
      online: true,
      lastSeen: new Date(start + 3_000).toISOString(),
    });
  });

  it('counts each connection once: a repeated open or close, or a close never opened, changes nothing', async () => {
    const { presence, changes } = await twoUsers();
    presence.opened('alice', 'c1', 'ws');
    presence.opened('alice', 'c1', 'ws');
    presence.closed('alice', 'c9', 'ws');
    presence.closed('bob', 'c1', 'ws');
    expect(presence.isOnline('alice')).toBe(true);
    presence.closed('alice', 'c1', 'ws');
    presence.closed('alice', 'c1', 'ws');
    expect(changes.map((c) => c.online)).toEqual([true, false]);
  });

  it('audits every connect and disconnect, and a throwing listener harms no one', async () => {
    const { presence, audit, changes } = await twoUsers();
    presence.onChange(() => {
      throw new Error('broken front end');
    });
    const unsubscribe = presence.onChange((c) => changes.push({ ...c, user: `copy ${c.user}` }));
    presence.opened('bob', 'c1', 'socket.io');
    unsubscribe();
    presence.closed('bob', 'c1', 'socket.io');
    expect(changes.map((c) => `${c.user} ${c.online}`)).toEqual([
      'bob@node-a true',
      'copy bob@node-a true',
      'bob@node-a false',
    ]);
    expect(audit.records.slice(-2)).toMatchObject([
      { op: 'connect', user: 'bob', object: 'socket.io connection c1', outcome: 'ok' },
      { op: 'disconnect', user: 'bob', object: 'socket.io connection c1', outcome: 'ok' },
    ]);
  });
});

describe('ListUsers', () => {
  it('lists this node’s users by name with their presence and last seen', async () => {
    const { presence, listUsers, clock } = await twoUsers();
    presence.opened('bob', 'c1', 'ws');
    presence.opened('alice', 'c2', 'ws');
    await clock.advance(5_000);
    presence.closed('alice', 'c2', 'ws');
    expect(listUsers.execute()).toEqual([
      { user: 'alice@node-a', online: false, lastSeen: new Date(clock.now()).toISOString() },
      { user: 'bob@node-a', online: true, lastSeen: null },
    ]);
  });
});
