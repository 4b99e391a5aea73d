import { describe, expect, it } from 'vitest';
import { createChatClient, WebSocketTransport } from '../../src/client/index.js';
import { FakeTimers } from '../fakes/fake-timers.js';
import { FakeWebSocket } from '../fakes/fake-web-socket.js';

function setup(dial?: (path: string) => FakeWebSocket) {
  const sockets: FakeWebSocket[] = [];
  const transport = new WebSocketTransport(
    dial ??
      ((path) => {
        const socket = new FakeWebSocket(path);
        sockets.push(socket);
        return socket;
      }),
  );
  const timers = new FakeTimers();
  const client = createChatClient({ transport, timers, random: () => 0.5 });
  const last = () => {
    const socket = sockets.at(-1);
    if (!socket) throw new Error('no socket was opened');
    return socket;
  };
  return { client, timers, sockets, last };
}

describe('the /ws transport', () => {
  it('dials /ws, then /ws?since=<cursor> after a drop, and reads frames in the shape the client takes', () => {
    const { client, timers, sockets, last } = setup();
    const seen: string[] = [];
    client.on('message', ({ message }) => seen.push(message.msg));
    client.start();
    expect(last().path).toBe('/ws');
    last().fire('open');
    expect(client.connection.state).toBe('open');
    last().receive({ type: 'hello', node: { id: 'n1', url: 'http://n1' } });
    last().receive({ type: 'history', messages: [{ id: 'a', from: 'n2', to: 'n1', msg: 'old', seq: 3 }] });
    last().receive({ type: 'msg', id: 'b', from: 'n2', to: 'n1', msg: 'new', seq: 7 });
    // Not text, not JSON, an unknown type: ignored, the connection stays.
    last().fire('message', { data: new Uint8Array([1]) });
    last().fire('message', { data: '{"type":' });
    last().receive({ type: 'future', msg: 'x' });
    expect(client.self?.id).toBe('n1');
    expect(seen).toEqual(['new']);

    last().fire('close', { code: 1006 });
    expect(client.connection).toMatchObject({ state: 'waiting', lastError: 'the connection closed' });
    timers.advance((client.connection.retryAt ?? 0) - timers.now());
    expect(sockets.map((s) => s.path)).toEqual(['/ws', '/ws?since=7']);
  });

  it('sends a msg frame with its ref and settles the send with the ack that names the ref', async () => {
    const { client, last } = setup();
    client.start();
    last().fire('open');
    const { ref, done } = client.send({ to: 'n2', msg: 'hi', user: 'ana' });
    expect(last().frames()).toEqual([{ type: 'msg', to: 'n2', msg: 'hi', user: 'ana', ref }]);
    last().receive({ type: 'ack', ref: 'another', ok: true, id: 'x', status: 'queued' });
    last().receive({ type: 'ack', ref, ok: true, id: 'm1', status: 'delivered' });
    await expect(done).resolves.toEqual({ ok: true, id: 'm1', status: 'delivered' });
  });

  it('writes nothing before the socket is open, and hears nothing from a socket it gave up on', () => {
    const { client, timers, sockets, last } = setup();
    client.start();
    // The first attempt never opens: the client gives it up (closing its socket) and dials again.
    timers.advance(10_000);
    expect(client.connection).toMatchObject({ state: 'waiting', lastError: 'no answer within 10 s' });
    const first = sockets[0];
    if (!first) throw new Error('no first socket');
    expect(first.closed).toBe(true);
    timers.advance((client.connection.retryAt ?? 0) - timers.now());
    expect(sockets).toHaveLength(2);
    client.send({ to: 'n2', msg: 'early' });
    expect(last().sent).toEqual([]);
    // The second attempt opens: the waiting send goes out on it, not on the first socket.
    last().fire('open');
    expect(last().frames()).toMatchObject([{ type: 'msg', to: 'n2', msg: 'early' }]);
    first.fire('open');
    first.receive({ type: 'hello', node: { id: 'stale', url: '' } });
    first.fire('close', { code: 1000 });
    expect(client.connection.state).toBe('open');
    expect(client.self).toBeUndefined();
    expect(first.sent).toEqual([]);

    client.stop();
    expect(last().closed).toBe(true);
    expect(client.connection.state).toBe('closed');
  });

  it('counts a socket that cannot even be made as a failed attempt, and tries again', () => {
    let calls = 0;
    const { client, timers } = setup((path) => {
      calls++;
      if (calls === 1) throw new SyntaxError('bad url');
      return new FakeWebSocket(path);
    });
    client.start();
    expect(client.connection).toMatchObject({ state: 'waiting', failures: 1, lastError: 'bad url' });
    timers.advance((client.connection.retryAt ?? 0) - timers.now());
    expect(calls).toBe(2);
    expect(client.connection.state).toBe('connecting');
  });
});
