import { describe, expect, it } from 'vitest';
import {
  conversationKey,
  createChatClient,
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
});
