import { describe, expect, it } from 'vitest';
import { type ChatClient, type ConnectionStatus, createChatClient } from '../../src/client/index.js';
import { FakeTimers } from '../fakes/fake-timers.js';
import { FakeTransport } from '../fakes/fake-transport.js';

function setup(random = () => 0.5) {
  const transport = new FakeTransport();
  const timers = new FakeTimers();
  const client = createChatClient({
    transport,
    timers,
    random,
    attemptTimeoutMs: 5_000,
    ackTimeoutMs: 4_000,
  });
  const states: ConnectionStatus[] = [];
  client.on('connection', (status) => states.push(status));
  return { transport, timers, client, states };
}

/** The delay of the one retry timer pending (the client has no other timer while waiting). */
function retryDelay(timers: FakeTimers, client: ChatClient): number {
  const retryAt = client.connection.retryAt;
  if (retryAt === undefined) throw new Error(`no retry is due (state ${client.connection.state})`);
  expect(timers.pending()).toEqual([retryAt - timers.now()]);
  return retryAt - timers.now();
}

describe('client connection', () => {
  it('reconnects after a drop within 2 s however often it failed, asking for the history after the cursor', () => {
    const { transport, timers, client, states } = setup(() => 0.999);
    client.start();
    expect(client.connection.state).toBe('connecting');
    transport.accept();
    expect(client.connection).toMatchObject({ state: 'open', reconnected: false });
    transport.frame('history', [{ id: 'a', from: 'n2', to: 'n1', msg: 'hi', seq: 5 }]);
    transport.frame('msg', { id: 'b', from: 'n2', to: 'n1', msg: 'again', seq: 7 });
    expect(client.since).toBe(7);

    transport.drop();
    expect(client.connection).toMatchObject({
      state: 'waiting',
      failures: 1,
      lastError: 'the connection closed',
    });
    const delays: number[] = [];
    for (let failure = 1; failure <= 12; failure++) {
      const delay = retryDelay(timers, client);
      delays.push(delay);
      timers.advance(delay);
      expect(client.connection.state).toBe('connecting');
      if (failure < 12) transport.drop('connect ECONNREFUSED');
    }
    // doubling from 500 ms (plus at most 25 % jitter), never past 2 s (plus jitter): a node back is found fast
    expect(delays.slice(0, 3)).toEqual([625, 1250, 2499]);
    expect(Math.max(...delays)).toBeLessThanOrEqual(2_500);
    expect(transport.dials).toEqual([undefined, ...Array(12).fill(7)]);

    transport.accept();
    expect(client.connection).toMatchObject({ state: 'open', failures: 0, reconnected: true });
    expect(states.map((s) => s.state).slice(0, 4)).toEqual(['connecting', 'open', 'waiting', 'connecting']);
  });

  it('gives up an attempt that hangs after the attempt timeout, and tries again', () => {
    const { transport, timers, client } = setup();
    client.start();
    timers.advance(4_999);
    expect(client.connection.state).toBe('connecting');
    timers.advance(1);
    expect(client.connection).toMatchObject({ state: 'waiting', lastError: 'no answer within 5 s' });
    expect(transport.closes).toBeGreaterThanOrEqual(1);
    timers.advance(retryDelay(timers, client));
    expect(transport.dials).toHaveLength(2);
  });

  it('stops for good when the node refuses the connection', () => {
    const { transport, timers, client } = setup();
    client.start();
    transport.drop('auth_required', true);
    expect(client.connection).toMatchObject({ state: 'closed', refused: true, lastError: 'auth_required' });
    timers.advance(60_000);
    expect(transport.dials).toHaveLength(1);
  });

  it('reads offline while the host has no network, and dials at once when it is back', () => {
    const { transport, timers, client } = setup();
    client.start();
    transport.accept();
    transport.drop();
    client.setOnline(false);
    expect(client.connection.state).toBe('offline');
    timers.advance(100);
    client.setOnline(true);
    expect(client.connection.state).toBe('connecting');
    expect(transport.dials).toHaveLength(2);
    transport.drop();
    client.reconnectNow();
    expect(transport.dials).toHaveLength(3);
  });

  it('sends when open (queued meanwhile), and settles every send: ack, timeout or lost connection', async () => {
    const { transport, timers, client } = setup();
    client.start();
    const early = client.send({ to: 'n2', msg: 'before open' });
    expect(transport.sent).toEqual([]);
    transport.accept();
    expect(transport.sent).toEqual([{ message: { to: 'n2', msg: 'before open' }, ref: early.ref }]);
    transport.ack(early.ref, { ok: true, id: 'm1', status: 'queued' });
    expect(await early.done).toEqual({ ok: true, id: 'm1', status: 'queued' });

    const unanswered = client.send({ to: 'n2', msg: 'no answer', user: 'ann' });
    timers.advance(4_000);
    expect(await unanswered.done).toEqual({
      ok: false,
      error: { code: 'ack_timeout', message: 'no acknowledgement from the node within 4 s' },
    });

    const lost = client.send({ to: 'n2', msg: 'in flight' });
    transport.drop();
    expect(await lost.done).toMatchObject({ ok: false, error: { code: 'connection_lost' } });
    // an ack for a send that was settled already is ignored
    expect(client.pending).toBe(0);

    const stopped = client.send({ to: 'n2', msg: 'never sent' });
    client.stop();
    expect(client.connection.state).toBe('closed');
    expect(await stopped.done).toMatchObject({ ok: false, error: { code: 'connection_lost' } });
    expect(await client.send({ to: 'n2', msg: 'after stop' }).done).toMatchObject({
      ok: false,
      error: { code: 'closed' },
    });
    expect(transport.sent.map((s) => s.message.msg)).toEqual(['before open', 'no answer', 'in flight']);
  });
});
