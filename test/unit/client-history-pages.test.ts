import { describe, expect, it } from 'vitest';
import { createChatClient, type OlderBatch, parseWsFrame, wsOlderFrame } from '../../src/client/index.js';
import { FakeTimers } from '../fakes/fake-timers.js';
import { FakeTransport } from '../fakes/fake-transport.js';

const entry = (n: number) => ({ id: `m${n}`, from: 'a', to: 'a', msg: `text ${n}`, seq: n });

function connected() {
  const transport = new FakeTransport();
  const client = createChatClient({ transport, timers: new FakeTimers() });
  const older: OlderBatch[] = [];
  const errors: string[] = [];
  client.on('older', (batch) => older.push(batch));
  client.on('error', (error) => errors.push(error.code));
  client.start();
  transport.accept();
  transport.frame('hello', { node: { id: 'a', url: 'http://a' } });
  return { transport, client, older, errors };
}

describe('the client core pages back through history', () => {
  it('asks before the oldest message it was sent, shows each older message once, and stops when there are none', () => {
    const { transport, client, older } = connected();
    const batches: boolean[] = [];
    client.on('history', (batch) => batches.push(batch.more));
    transport.history([entry(4), entry(5)], { more: true, before: 'm4' });
    expect(batches).toEqual([true]);
    expect(client.hasOlder).toBe(true);
    expect(client.loadOlder(2)).toBe(true);
    // One request at a time.
    expect(client.loadOlder()).toBe(false);
    expect(transport.olderRequests).toEqual([{ before: 'm4', limit: 2, ref: 'older-1' }]);
    // An answer to no request of this client is ignored.
    transport.frame('older', { ok: true, messages: [entry(1)], more: false }, 'older-9');
    expect(older).toEqual([]);
    transport.frame(
      'older',
      { ok: true, messages: [entry(2), entry(3), entry(5)], more: true, before: 'm2' },
      'older-1',
    );
    expect(older[0]?.items.map((i) => (i.kind === 'message' ? i.message.id : ''))).toEqual(['m2', 'm3']);
    expect(older[0]?.more).toBe(true);
    expect(client.loadOlder()).toBe(true);
    expect(transport.olderRequests[1]).toEqual({ before: 'm2', limit: undefined, ref: 'older-2' });
    transport.frame('older', { ok: true, messages: [entry(1)], more: false, before: 'm1' }, 'older-2');
    expect(older[1]).toMatchObject({ more: false });
    expect(client.hasOlder).toBe(false);
    expect(client.loadOlder()).toBe(false);
  });

  it('a refused request is an error event and may be asked again; a node that does not page has no older', () => {
    const { transport, client, older, errors } = connected();
    transport.frame('history', [entry(1)]);
    expect(client.hasOlder).toBe(false);
    expect(client.loadOlder()).toBe(false);
    transport.drop();
    expect(client.loadOlder()).toBe(false);
    const again = connected();
    again.transport.history([entry(7)], { more: true, before: 'm7' });
    again.client.loadOlder();
    again.transport.frame(
      'older',
      { ok: false, error: { code: 'rate_limited', message: 'slow down', retryAfter: 1 } },
      'older-1',
    );
    expect(again.errors).toEqual(['rate_limited']);
    expect(again.older).toEqual([]);
    expect(again.client.loadOlder()).toBe(true);
    expect(older).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('reads the /ws history page and older answer, and writes the older request', () => {
    expect(parseWsFrame('{"type":"history","messages":[],"more":true,"before":"m3"}')).toEqual({
      type: 'history',
      data: [],
      page: { more: true, before: 'm3' },
    });
    expect(parseWsFrame('{"type":"older","ref":"r1","ok":true,"messages":[],"more":false}')).toEqual({
      type: 'older',
      data: { ref: 'r1', ok: true, messages: [], more: false },
      ref: 'r1',
    });
    expect(JSON.parse(wsOlderFrame('m3', 50, 'r2'))).toEqual({
      type: 'older',
      before: 'm3',
      limit: 50,
      ref: 'r2',
    });
  });
});
