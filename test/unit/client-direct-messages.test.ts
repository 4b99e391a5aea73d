import { describe, expect, it } from 'vitest';
import {
  type ConnectionStatus,
  conversationKey,
  createChatClient,
  type HistoryBatch,
  type PresenceEvent,
  parseMessage,
  parseStatusEvent,
  parseWsFrame,
  type ReceivedMessage,
  WebSocketTransport,
  wsAuthFrame,
} from '../../src/client/index.js';
import { FakeTimers } from '../fakes/fake-timers.js';
import { FakeTransport } from '../fakes/fake-transport.js';
import { FakeWebSocket } from '../fakes/fake-web-socket.js';

describe('client core: direct messages, logins and presence', () => {
  it('keeps fromUser on messages and status events, and drops one that is not a string', () => {
    expect(parseMessage({ id: '1', from: 'a', to: 'bob@b', msg: 'hi', fromUser: 'alice@a' })).toEqual({
      id: '1',
      from: 'a',
      to: 'bob@b',
      msg: 'hi',
      fromUser: 'alice@a',
    });
    expect(parseMessage({ msg: 'x', fromUser: 42 })).toEqual({ msg: 'x' });
    expect(parseStatusEvent({ id: '1', to: 'bob@b', status: 'failed', fromUser: 'alice@a' })).toMatchObject({
      fromUser: 'alice@a',
    });
  });

  it('gives one conversation per other user, whichever side wrote, apart from node conversations', () => {
    const me = 'alice@a';
    expect(conversationKey({ from: 'b', to: 'alice@a', fromUser: 'bob@b' }, 'a', me)).toBe('bob@b');
    expect(conversationKey({ from: 'a', to: 'bob@b', fromUser: 'alice@a' }, 'a', me)).toBe('bob@b');
    expect(conversationKey({ from: 'b', to: 'a' }, 'a', me)).toBe('b');
    expect(conversationKey({ from: 'a', to: 'b' }, 'a', me)).toBe('b');
    expect(conversationKey({ from: 'b', to: '*' }, 'a', me)).toBe('*');
    // Anonymous: a DM shown at all is keyed by its sender.
    expect(conversationKey({ from: 'b', to: 'carol@a', fromUser: 'bob@b' }, 'a')).toBe('bob@b');
  });

  it('learns who it is logged in as and reports presence, from socket.io and /ws frames alike', () => {
    const transport = new FakeTransport();
    const client = createChatClient({ transport, timers: new FakeTimers() });
    const logins: string[] = [];
    const presence: PresenceEvent[] = [];
    const messages: ReceivedMessage[] = [];
    const malformed: string[] = [];
    client.on('login', (user) => logins.push(user));
    client.on('presence', (change) => presence.push(change));
    client.on('message', (m) => messages.push(m));
    client.on('malformed', (why) => malformed.push(why));
    client.start();
    transport.accept();
    transport.frame('hello', { node: { id: 'a', url: 'http://a' } });
    expect(client.me).toBeUndefined();
    transport.frame('hello', { node: { id: 'a', url: 'http://a' }, user: 'alice@a' });
    expect(client.me).toBe('alice@a');
    transport.frame('auth', { ok: true, user: 'alice@a' });
    expect(logins).toEqual(['alice@a', 'alice@a']);
    transport.frame('presence', { user: 'bob@a', online: true, lastSeen: null });
    transport.frame('presence', { user: 'bob@a' });
    expect(presence).toEqual([{ user: 'bob@a', online: true, lastSeen: null }]);
    expect(malformed).toHaveLength(1);
    transport.frame('msg', { id: 'm1', from: 'b', to: 'alice@a', msg: 'hi', fromUser: 'bob@b', seq: 3 });
    expect(messages[0]?.message).toMatchObject({ fromUser: 'bob@b', to: 'alice@a' });
  });

  it('reads /ws presence and auth frames, and logs a /ws connection in with its first frame', () => {
    expect(
      parseWsFrame('{"type":"presence","user":"bob@a","online":false,"lastSeen":"2026-01-01T00:00:00Z"}'),
    ).toEqual({
      type: 'presence',
      data: { user: 'bob@a', online: false, lastSeen: '2026-01-01T00:00:00Z' },
    });
    expect(parseWsFrame('{"type":"auth","ok":true,"user":"bob@a"}')).toEqual({
      type: 'auth',
      data: { ok: true, user: 'bob@a' },
    });
    const sockets: FakeWebSocket[] = [];
    const transport = new WebSocketTransport((path) => {
      const socket = new FakeWebSocket(path);
      sockets.push(socket);
      return socket;
    }, 'tok-1');
    transport.open(undefined, { onOpen: () => {}, onFrame: () => {}, onClose: () => {} });
    sockets[0]?.fire('open');
    expect(sockets[0]?.sent[0]).toBe(wsAuthFrame('tok-1'));
  });

  it("reads /ws's second history after a login as the same connection's direct messages, not a reconnect", () => {
    const transport = new FakeTransport();
    const timers = new FakeTimers();
    const client = createChatClient({ transport, timers });
    const batches: HistoryBatch[] = [];
    client.on('history', (batch) => batches.push(batch));
    client.start();
    const connect = (dm: string) => {
      transport.accept();
      transport.frame('hello', { node: { id: 'a', url: 'http://a' } });
      transport.frame('history', [{ id: `n-${dm}`, from: 'b', to: 'a', msg: 'to the node', seq: 1 }]);
      transport.frame('auth', { ok: true, user: 'alice@a' });
      transport.frame('history', [{ id: dm, from: 'b', to: 'alice@a', fromUser: 'bob@b', msg: dm, seq: 2 }]);
    };
    connect('dm1');
    transport.drop();
    timers.advance(5_000);
    connect('dm2');
    expect(batches.map(({ reconnect, direct, items }) => ({ reconnect, direct, n: items.length }))).toEqual([
      { reconnect: false, direct: false, n: 1 },
      { reconnect: false, direct: true, n: 1 },
      { reconnect: true, direct: false, n: 1 },
      { reconnect: true, direct: true, n: 1 },
    ]);
  });

  it('stops, refused, when /ws closes with 4401 after its login, and keeps retrying other closes', () => {
    const sockets: FakeWebSocket[] = [];
    const dial = (path: string) => {
      const socket = new FakeWebSocket(path);
      sockets.push(socket);
      return socket;
    };
    const timers = new FakeTimers();
    const statuses: ConnectionStatus[] = [];
    const client = createChatClient({ transport: new WebSocketTransport(dial, 'expired'), timers });
    client.on('connection', (status) => statuses.push(status));
    client.start();
    sockets[0]?.fire('open');
    sockets[0]?.receive({
      type: 'error',
      error: { code: 'unauthenticated', message: 'The session expired.' },
    });
    sockets[0]?.fire('close', { code: 4401 });
    expect(client.connection).toMatchObject({ state: 'closed', refused: true, loginRefused: true });
    timers.advance(60_000);
    expect(sockets).toHaveLength(1);

    // Anonymous, the same close code is not about a login: the client tries again.
    const anonymous = createChatClient({ transport: new WebSocketTransport(dial), timers });
    anonymous.start();
    sockets[1]?.fire('open');
    sockets[1]?.fire('close', { code: 4401 });
    expect(anonymous.connection.state).toBe('waiting');
    expect(anonymous.connection.loginRefused).toBeUndefined();
    expect(statuses.at(-1)?.loginRefused).toBe(true);
  });
});
