// Direct messages between real nodes on 127.0.0.1 (in this process, random ports), through the real HTTP API
// (POST /users, POST /sessions), socket.io and /ws clients: every direction between three nodes reaches only
// its addressee, a stranger on the same node (anonymous, or another logged-in user) sees none of it live or in
// history, an offline user finds it on connect, and an anonymous sender is refused. Every wait polls a
// condition with a deadline.
import { describe, expect, it, vi } from 'vitest';
import type { MeshNode } from '../../src/mesh-node.js';
import { callNode, registerAndLogin } from '../support/accounts-http.js';
import { joinedMeshFixture } from '../support/joined-mesh.js';
import { connectSocketIoUser, connectWsUser, type ReceivedMessage } from '../support/users.js';

const PASSWORD = 'correct horse battery';
const soon = { timeout: 8_000, interval: 20 };

const { closers, mesh, socketUser } = joinedMeshFixture();

const directs = (messages: readonly ReceivedMessage[]) =>
  messages.filter((m) => m.to.includes('@') || 'fromUser' in m);

describe('direct messages between real nodes', () => {
  it('reach only their addressee in every direction; strangers see none, live or in history', async () => {
    const [a, b, c] = (await mesh(['node-a', 'node-b', 'node-c'])) as [MeshNode, MeshNode, MeshNode];
    const alice = await registerAndLogin(a.url, 'alice', PASSWORD);
    const bob = await registerAndLogin(b.url, 'bob', PASSWORD);
    const carol = await registerAndLogin(c.url, 'carol', PASSWORD);
    const dave = await registerAndLogin(b.url, 'dave', PASSWORD);

    const onA = await socketUser(a.url, alice.token);
    const onB = await socketUser(b.url, bob.token);
    // Carol is on /ws, logged in with the first frame.
    const onC = await connectWsUser(c.url);
    closers.push(onC);
    onC.raw.send(JSON.stringify({ type: 'auth', token: carol.token }));
    await vi.waitFor(
      () => expect(onC.frames.some((f) => f.type === 'auth' && f.ok === true)).toBe(true),
      soon,
    );
    const strangers = [
      await socketUser(a.url),
      await socketUser(b.url),
      await socketUser(c.url),
      await socketUser(b.url, dave.token),
    ];
    const wsStranger = await connectWsUser(b.url);
    closers.push(wsStranger);

    const people = [
      { who: alice.user, conn: onA },
      { who: bob.user, conn: onB },
      { who: carol.user, conn: onC },
    ];
    for (const from of people) {
      for (const to of people) {
        if (from === to) continue;
        const ack = await from.conn.send(to.who, `${from.who} to ${to.who}`);
        expect(ack, `${from.who} → ${to.who}`).toMatchObject({ ok: true, status: 'delivered' });
      }
    }
    for (const me of people) {
      await vi.waitFor(() => {
        const got = me.conn.messages.filter((m) => m.to === me.who);
        expect(got.map((m) => m.msg).sort()).toEqual(
          people
            .filter((p) => p !== me)
            .map((p) => `${p.who} to ${me.who}`)
            .sort(),
        );
        for (const m of got) expect((m as { fromUser?: string }).fromUser).toBe(m.msg.split(' ')[0]);
      }, soon);
      // Nothing addressed to anyone else reached this user.
      expect(directs(me.conn.messages).every((m) => m.to === me.who)).toBe(true);
    }
    expect(onA.statuses.filter((s) => s.status === 'delivered')).toHaveLength(2);

    for (const s of [...strangers, wsStranger]) expect(directs(s.messages)).toEqual([]);
    for (const s of strangers) expect(s.statuses).toEqual([]);
    expect(wsStranger.frames.filter((f) => f.type === 'status')).toEqual([]);
    // Connecting afresh, anonymously or as another user, shows none of it in history either.
    for (const node of [a, b, c]) {
      const late = await socketUser(node.url);
      expect(directs(late.histories.flat())).toEqual([]);
      const lateWs = await connectWsUser(node.url);
      closers.push(lateWs);
      await vi.waitFor(() => expect(lateWs.frames.some((f) => f.type === 'history')).toBe(true), soon);
      const wsHistory = lateWs.frames
        .filter((f) => f.type === 'history')
        .flatMap((f) => f.messages as ReceivedMessage[]);
      expect(directs(wsHistory)).toEqual([]);
    }
    const daveLater = await socketUser(b.url, dave.token);
    expect(directs(daveLater.histories.flat())).toEqual([]);
    // Bob's own history holds what he sent and received, and only that.
    const bobLater = await socketUser(b.url, bob.token);
    const mine = directs(bobLater.histories.flat());
    expect(mine).toHaveLength(4);
    for (const m of mine) expect([m.to, (m as { fromUser?: string }).fromUser]).toContain(bob.user);
  }, 60_000);

  it('waits in the inbox of an offline user and is handed over on connect, once', async () => {
    const [a, b] = (await mesh(['node-a', 'node-b'])) as [MeshNode, MeshNode];
    const alice = await registerAndLogin(a.url, 'alice', PASSWORD);
    const bob = await registerAndLogin(b.url, 'bob', PASSWORD);
    const onA = await socketUser(a.url, alice.token);
    expect(await onA.send(bob.user, 'are you there?')).toMatchObject({ ok: true, status: 'delivered' });
    expect(await onA.send('nobody@node-b', 'hello?')).toMatchObject({
      ok: false,
      error: { code: 'unknown_user' },
    });
    const anon = await socketUser(a.url);
    expect(await anon.send(bob.user, 'anonymous')).toMatchObject({
      ok: false,
      error: { code: 'auth_required' },
    });

    const first = await socketUser(b.url, bob.token);
    const got = directs(first.histories.flat());
    expect(got.map((m) => m.msg)).toEqual(['are you there?']);
    const since = Math.max(...first.histories.flat().map((m) => m.seq ?? 0));
    first.close();
    const again = await connectSocketIoUser(b.url, { auth: { token: bob.token, since } });
    closers.push(again);
    expect(directs(again.histories.flat())).toEqual([]);

    // Unregistering removes the inbox: a new account of the same name finds nothing waiting.
    again.close();
    expect(await onA.send(bob.user, 'second')).toMatchObject({ ok: true });
    const gone = await callNode(b.url, 'DELETE', '/users/bob', {
      token: bob.token,
      body: { password: PASSWORD },
    });
    expect(gone.status).toBe(200);
    const newBob = await registerAndLogin(b.url, 'bob', PASSWORD);
    const fresh = await socketUser(b.url, newBob.token);
    expect(directs(fresh.histories.flat()).map((m) => m.msg)).not.toContain('second');
  }, 60_000);
});
