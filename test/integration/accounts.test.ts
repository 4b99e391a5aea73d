// Accounts on the wire against real nodes on 127.0.0.1 (in this process, random ports): the HTTP routes with
// the real scrypt hasher and SQLite across a restart, logging in on socket.io and /ws, anonymous users beside
// logged-in ones, presence decided by the transports' heartbeat, and an unregistered user's connections
// closed. Every wait polls a condition with a deadline.
import { mkdtempSync, rmSync } from 'node:fs';
import type { Socket as TcpSocket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { io, type Socket } from 'socket.io-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type WebSocket from 'ws';
import { DATABASE_FILE } from '../../src/adapters/storage/open-database.js';
import { readAuditTrail } from '../../src/adapters/storage/sqlite-audit-trail.js';
import type { PresenceChange } from '../../src/application/accounts/presence.js';
import type { MeshNode } from '../../src/mesh-node.js';
import type { NodeConfig } from '../../src/node-config.js';
import { RecordingAuditTrail } from '../fakes/recording-audit-trail.js';
import { callNode, registerAndLogin } from '../support/accounts-http.js';
import { startTestNode, stopAll } from '../support/nodes.js';
import { connectSocketIoUser, connectWsUser, type TestUser } from '../support/users.js';

const PASSWORD = 'correct horse battery';
/** What happens at once on a quiet machine; generous for a loaded shared one. */
const SOON_MS = 5_000;
const POLL_MS = 20;
/** The ping period the presence tests run with: a dead connection is noticed within two of them. */
const HEARTBEAT_MS = 300;
/** Scheduling slack on a loaded 2-core machine, over the heartbeat bound. */
const MARGIN_MS = 1_500;

const nodes: MeshNode[] = [];
const users: { close(): void }[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const user of users.splice(0)) user.close();
  await stopAll(nodes);
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function start(
  id: string,
  options: { config?: Partial<NodeConfig>; audit?: RecordingAuditTrail } = {},
) {
  const node = await startTestNode(id, {
    ...(options.config ? { config: options.config } : {}),
    ...(options.audit ? { audit: options.audit } : {}),
  });
  nodes.push(node);
  return node;
}

function keep<T extends { close(): void }>(user: T): T {
  users.push(user);
  return user;
}

const soon = { timeout: SOON_MS, interval: POLL_MS };

/** A raw socket.io client that records `hello` from the start (the helper attaches its listeners later). */
function rawSocketIo(
  url: string,
  auth: Record<string, unknown>,
): { socket: Socket; hello: Promise<unknown> } {
  const socket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false, auth });
  keep({ close: () => socket.close() });
  return { socket, hello: new Promise((resolve) => socket.once('hello', resolve)) };
}

/** The TCP socket under a socket.io client's WebSocket transport. */
function tcpOfSocketIo(socket: Socket): TcpSocket {
  return (socket.io.engine.transport as unknown as { ws: { _socket: TcpSocket } }).ws._socket;
}

function tcpOfWs(ws: WebSocket): TcpSocket {
  return (ws as unknown as { _socket: TcpSocket })._socket;
}

/** Logs a `/ws` connection in with its first frame; resolves with the node's `auth` or `error` answer. */
async function wsLogIn(
  user: TestUser & { frames: Record<string, unknown>[]; raw: WebSocket },
  token: unknown,
): Promise<Record<string, unknown>> {
  user.raw.send(JSON.stringify({ type: 'auth', token }));
  let answer: Record<string, unknown> | undefined;
  await vi.waitFor(() => {
    answer = user.frames.find((f) => f.type === 'auth' || f.type === 'error');
    expect(answer).toBeDefined();
  }, soon);
  return answer as Record<string, unknown>;
}

describe('accounts over HTTP on a real node', () => {
  it('keeps accounts, sessions and the audit trail in the data dir across a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshchat-accounts-'));
    dirs.push(dir);
    const first = await start('home', { config: { dataDir: dir } });
    const alice = await registerAndLogin(first.url, 'Alice', PASSWORD);
    expect(alice.user).toBe('alice@home');
    await first.stop();
    nodes.splice(0);

    const again = await start('home', { config: { dataDir: dir } });
    const taken = await callNode(again.url, 'POST', '/users', {
      body: { name: 'alice', password: PASSWORD },
    });
    expect([taken.status, taken.body]).toMatchObject([409, { error: { code: 'name_taken' } }]);
    const wrong = await callNode(again.url, 'POST', '/sessions', {
      body: { name: 'alice', password: 'nope' },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toBe('Bearer realm="meshchat"');
    // The token issued before the restart still works, once.
    const out = await callNode(again.url, 'DELETE', '/sessions/current', { token: alice.token });
    expect([out.status, out.body]).toEqual([200, { ok: true, user: 'alice@home' }]);
    expect((await callNode(again.url, 'DELETE', '/sessions/current', { token: alice.token })).status).toBe(
      401,
    );
    const relogged = await registerAndLogin(again.url, 'alice', PASSWORD, { register: false });
    expect(relogged.user).toBe('alice@home');
    await again.stop();
    nodes.splice(0);

    const db = new Database(join(dir, DATABASE_FILE), { readonly: true });
    try {
      const trail = readAuditTrail(db).map((r) => `${r.op}:${r.user}:${r.outcome}:${r.object}`);
      const session = trail[1]?.split(':').at(-1) ?? '';
      expect(session).toMatch(/^session [0-9a-f]{12}$/);
      expect(trail).toEqual([
        'register:alice:ok:account alice@home',
        `login:alice:ok:${session}`,
        'register:alice:name_taken:account alice@home',
        'login:alice:bad_credentials:client 127.0.0.1',
        `logout:alice:ok:${session}`,
        expect.stringMatching(/^login:alice:ok:session [0-9a-f]{12}$/),
      ]);
    } finally {
      db.close();
    }
  });

  it('locks a name out over real HTTP: 429 with Retry-After', async () => {
    const node = await start('lock', { config: { loginThrottle: { maxFailuresPerName: 2 } } });
    await registerAndLogin(node.url, 'alice', PASSWORD);
    for (let i = 0; i < 2; i++) {
      const failed = await callNode(node.url, 'POST', '/sessions', {
        body: { name: 'alice', password: 'x' },
      });
      expect(failed.status).toBe(401);
    }
    const locked = await callNode(node.url, 'POST', '/sessions', {
      body: { name: 'alice', password: PASSWORD },
    });
    expect([locked.status, locked.body]).toMatchObject([429, { error: { code: 'rate_limited' } }]);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(800);
  });
});

describe("an account's address as an anonymous display name", () => {
  it('is refused on socket.io, /ws and PUT /msg without from; the account itself still sends under it', async () => {
    const node = await start('imp');
    const alice = await registerAndLogin(node.url, 'alice', PASSWORD);
    const watcher = keep(await connectSocketIoUser(node.url));
    const sio = keep(await connectSocketIoUser(node.url));
    const ws = keep(await connectWsUser(node.url));

    // Shown to everyone as "alice@imp @imp ✓" it would read as alice's own message: refused, nothing shown.
    for (const [front, user] of [
      [sio, 'alice@imp'],
      [ws, 'alice@imp'],
      [sio, 'nobody@elsewhere'],
    ] as const) {
      expect(await front.send('imp', 'as alice', user)).toMatchObject({
        ok: false,
        error: { code: 'invalid_user', message: expect.stringContaining('log in') },
      });
    }
    const put = await callNode(node.url, 'PUT', '/msg', {
      body: { to: 'imp', msg: 'as alice', user: 'alice@imp' },
    });
    expect([put.status, put.body]).toMatchObject([400, { error: { code: 'invalid_user' } }]);
    // With a `from`, a node's word: its name as sent, as the base protocol has plain nodes relay their users'.
    const relayed = await callNode(node.url, 'PUT', '/msg', {
      body: { from: 'plainpeer', to: 'imp', msg: 'relayed', user: 'juan@casa' },
    });
    expect(relayed.status).toBe(200);

    // Anonymous names without "@" are the sender's own words, as before; alice logged in sends as herself.
    expect(await sio.send('imp', 'plain name', 'alice')).toMatchObject({ ok: true });
    const { socket, hello } = rawSocketIo(node.url, { token: alice.token });
    await hello;
    expect(
      await socket.timeout(SOON_MS).emitWithAck('msg', { to: 'imp', msg: 'really alice', user: 'x@y' }),
    ).toMatchObject({ ok: true });
    await vi.waitFor(
      () =>
        expect(watcher.messages.map((m) => [m.msg, m.user])).toEqual(
          expect.arrayContaining([
            ['plain name', 'alice'],
            ['really alice', 'alice@imp'],
            ['relayed', 'juan@casa'],
          ]),
        ),
      soon,
    );
    expect(watcher.messages.map((m) => m.msg)).not.toContain('as alice');
  });
});

describe('logging in on the user front ends', () => {
  it('socket.io: a token in the handshake makes the socket that user; a bad one is refused; anonymous works', async () => {
    const node = await start('sio');
    const alice = await registerAndLogin(node.url, 'alice', PASSWORD);
    const watcher = keep(await connectSocketIoUser(node.url));

    const { socket, hello } = rawSocketIo(node.url, { token: alice.token });
    expect(await hello).toMatchObject({ node: { id: 'sio' }, user: 'alice@sio' });
    const ack = await socket
      .timeout(SOON_MS)
      .emitWithAck('msg', { to: 'sio', msg: 'from alice', user: 'bob' });
    expect(ack).toMatchObject({ ok: true, status: 'delivered' });
    await vi.waitFor(() => expect(watcher.messages.map((m) => m.msg)).toContain('from alice'), soon);
    expect(watcher.messages.find((m) => m.msg === 'from alice')).toMatchObject({
      from: 'sio',
      user: 'alice@sio',
    });

    // Anonymous users keep their own display name, as the assignment has it.
    expect(await watcher.send('sio', 'anonymous', 'Zed')).toMatchObject({ ok: true });
    const seen: { msg: string; user?: string }[] = [];
    socket.on('msg', (m: { msg: string; user?: string }) => seen.push(m));
    expect(await watcher.send('sio', 'anonymous again', 'Zed')).toMatchObject({ ok: true });
    await vi.waitFor(
      () => expect(seen).toContainEqual(expect.objectContaining({ msg: 'anonymous again', user: 'Zed' })),
      soon,
    );

    for (const token of ['not-a-token', '', 42, alice.token.slice(1)]) {
      const refused = io(node.url, {
        transports: ['websocket'],
        forceNew: true,
        reconnection: false,
        auth: { token },
      });
      keep({ close: () => refused.close() });
      const error = await new Promise<Error & { data?: unknown }>((resolve) =>
        refused.once('connect_error', resolve),
      );
      expect(error.data).toEqual({ code: 'unauthenticated', message: expect.stringMatching(/^[A-Z].+\.$/) });
      expect(error.message).toBe((error.data as { message: string }).message);
      expect(refused.connected).toBe(false);
    }
    // A token revoked by logging out is refused from then on.
    expect((await callNode(node.url, 'DELETE', '/sessions/current', { token: alice.token })).status).toBe(
      200,
    );
    const late = io(node.url, {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      auth: { token: alice.token },
    });
    keep({ close: () => late.close() });
    const error = await new Promise<Error & { data?: { code: string } }>((resolve) =>
      late.once('connect_error', resolve),
    );
    expect(error.data?.code).toBe('unauthenticated');
  });

  it('/ws: a first auth frame makes the connection that user; a bad one gets an error and close 4401', async () => {
    const node = await start('wsn');
    const alice = await registerAndLogin(node.url, 'alice', PASSWORD);
    const watcher = keep(await connectWsUser(node.url));

    const logged = keep(await connectWsUser(node.url));
    expect(await wsLogIn(logged, alice.token)).toEqual({ type: 'auth', ok: true, user: 'alice@wsn' });
    expect(await logged.send('wsn', 'from alice', 'mallory')).toMatchObject({ ok: true });
    await vi.waitFor(() => expect(watcher.messages.map((m) => m.msg)).toContain('from alice'), soon);
    expect(watcher.messages.find((m) => m.msg === 'from alice')).toMatchObject({
      from: 'wsn',
      user: 'alice@wsn',
    });

    // Anonymous: unchanged. A later auth frame is not a login; the connection stays open and anonymous.
    expect(await watcher.send('wsn', 'anonymous', 'Zed')).toMatchObject({ ok: true });
    watcher.raw.send(JSON.stringify({ type: 'auth', token: alice.token }));
    await vi.waitFor(() => expect(watcher.errors().join()).toContain('invalid_frame'), soon);
    expect(await watcher.send('wsn', 'still anonymous', 'Zed')).toMatchObject({ ok: true });
    await vi.waitFor(
      () => expect(logged.messages.map((m) => [m.msg, m.user])).toContainEqual(['still anonymous', 'Zed']),
      soon,
    );

    for (const token of ['not-a-token', null, { token: 1 }, 'x'.repeat(10_000)]) {
      const bad = keep(await connectWsUser(node.url));
      const closed = new Promise<number>((resolve) => bad.raw.once('close', (code) => resolve(code)));
      const answer = await wsLogIn(bad, token);
      expect(answer).toEqual({
        type: 'error',
        error: { code: 'unauthenticated', message: expect.stringMatching(/^[A-Z].+\.$/) },
      });
      expect(await closed).toBe(4401);
    }
  });
});

describe('presence', () => {
  it('socket.io: a logged-in user shows online to others, and offline within the heartbeat bound once its client is frozen', async () => {
    const audit = new RecordingAuditTrail();
    const node = await start('pres', { config: { heartbeatMs: HEARTBEAT_MS }, audit });
    const alice = await registerAndLogin(node.url, 'alice', PASSWORD);
    const bob = await registerAndLogin(node.url, 'bob', PASSWORD);
    const bobs = keep(await connectSocketIoUser(node.url, { auth: { token: bob.token } }));
    const presences: PresenceChange[] = [];
    bobs.socket.on('presence', (change: PresenceChange) => presences.push(change));

    const alices = keep(await connectSocketIoUser(node.url, { auth: { token: alice.token } }));
    await vi.waitFor(
      () => expect(presences).toContainEqual({ user: 'alice@pres', online: true, lastSeen: null }),
      soon,
    );
    // Frozen: the client stops reading and answering, and its TCP connection stays up (no FIN, no goodbye).
    const tcp = tcpOfSocketIo(alices.socket);
    tcp.pause();
    const frozenAt = Date.now();
    await vi.waitFor(
      () => expect(presences.find((p) => p.user === 'alice@pres' && !p.online)).toBeDefined(),
      { timeout: 2 * HEARTBEAT_MS + MARGIN_MS, interval: POLL_MS },
    );
    expect(Date.now() - frozenAt).toBeLessThan(2 * HEARTBEAT_MS + MARGIN_MS);
    const offline = presences.find((p) => !p.online) as PresenceChange;
    expect(Date.parse(offline.lastSeen ?? '')).toBeGreaterThanOrEqual(frozenAt - 5);
    tcp.destroy();
    expect(audit.summary()).toEqual(expect.arrayContaining(['connect:alice:ok', 'disconnect:alice:ok']));
    expect(audit.summary()).not.toContain('disconnect:bob:ok');
  });

  it('/ws: a killed client (its TCP socket destroyed) and a frozen one both go offline; anonymous watchers hear it', async () => {
    const node = await start('wpres', { config: { heartbeatMs: HEARTBEAT_MS } });
    const alice = await registerAndLogin(node.url, 'alice', PASSWORD);
    const watcher = keep(await connectWsUser(node.url));
    const presence = () => watcher.frames.filter((f) => f.type === 'presence');

    const killed = keep(await connectWsUser(node.url));
    await wsLogIn(killed, alice.token);
    await vi.waitFor(
      () =>
        expect(presence()).toEqual([{ type: 'presence', user: 'alice@wpres', online: true, lastSeen: null }]),
      soon,
    );
    tcpOfWs(killed.raw).destroy();
    await vi.waitFor(
      () => expect(presence().at(-1)).toMatchObject({ user: 'alice@wpres', online: false }),
      soon,
    );

    const frozen = keep(await connectWsUser(node.url));
    await wsLogIn(frozen, alice.token);
    await vi.waitFor(() => expect(presence().at(-1)).toMatchObject({ online: true }), soon);
    const tcp = tcpOfWs(frozen.raw);
    tcp.pause();
    const frozenAt = Date.now();
    await vi.waitFor(() => expect(presence().at(-1)).toMatchObject({ user: 'alice@wpres', online: false }), {
      timeout: 2 * HEARTBEAT_MS + MARGIN_MS,
      interval: POLL_MS,
    });
    expect(Date.now() - frozenAt).toBeLessThan(2 * HEARTBEAT_MS + MARGIN_MS);
    expect(presence()).toHaveLength(4);
    tcp.destroy();
  });

  it("two connections: online until the last one closes; unregistering closes the user's connections", async () => {
    const node = await start('twice');
    const alice = await registerAndLogin(node.url, 'alice', PASSWORD);
    const watcher = keep(await connectSocketIoUser(node.url));
    const presences: PresenceChange[] = [];
    watcher.socket.on('presence', (change: PresenceChange) => presences.push(change));

    const onSocketIo = keep(await connectSocketIoUser(node.url, { auth: { token: alice.token } }));
    const onWs = keep(await connectWsUser(node.url));
    await wsLogIn(onWs, alice.token);
    await vi.waitFor(() => expect(presences).toHaveLength(1), soon);
    const serverClosed = new Promise<string>((resolve) => onSocketIo.socket.once('disconnect', resolve));
    const wsClosed = new Promise<number>((resolve) => onWs.raw.once('close', (code) => resolve(code)));

    const bobs = await registerAndLogin(node.url, 'bob', PASSWORD);
    const refused = await callNode(node.url, 'DELETE', '/users/alice', {
      token: bobs.token,
      body: { password: PASSWORD },
    });
    expect([refused.status, refused.body]).toMatchObject([403, { error: { code: 'forbidden' } }]);
    const gone = await callNode(node.url, 'DELETE', '/users/alice', {
      token: alice.token,
      body: { password: PASSWORD },
    });
    expect([gone.status, gone.body]).toEqual([200, { ok: true, user: 'alice@twice' }]);
    expect(await serverClosed).toBe('io server disconnect');
    expect(await wsClosed).toBe(4403);
    await vi.waitFor(
      () => expect(presences.at(-1)).toMatchObject({ user: 'alice@twice', online: false }),
      soon,
    );
    expect(presences).toHaveLength(2);
    expect(watcher.socket.connected).toBe(true);
    expect(node.connectedUsers).toBe(1);
  });
});
