import { describe, expect, it } from 'vitest';
import {
  createChatClient,
  type HistoryBatch,
  type ReceivedMessage,
  type StatusReport,
} from '../../src/client/index.js';
import { FakeTimers } from '../fakes/fake-timers.js';
import { FakeTransport } from '../fakes/fake-transport.js';

/** A client connected to node n1, recording acks and status reports in the order it emits them. */
function connected() {
  const transport = new FakeTransport();
  const client = createChatClient({ transport, timers: new FakeTimers() });
  const log: (string | StatusReport)[] = [];
  const messages: ReceivedMessage[] = [];
  const histories: HistoryBatch[] = [];
  client.on('ack', ({ result }) => log.push(`ack ${result.ok ? result.status : result.error.code}`));
  client.on('status', (report) => log.push(report));
  client.on('message', (m) => messages.push(m));
  client.on('history', (h) => histories.push(h));
  client.start();
  transport.accept();
  transport.frame('hello', { node: { id: 'n1', url: 'http://n1' } });
  const refOf = (i: number) => transport.sent[i]?.ref ?? '';
  return { transport, client, log, messages, histories, refOf };
}

describe('client ledger of sent messages', () => {
  it('holds a status that overtakes its ack and judges it against the ack: never "was queued" when it was not', () => {
    const { transport, client, log, refOf } = connected();
    client.send({ to: 'bob', msg: 'hi' });
    const status = { id: 'm1', to: 'bob', node: 'bob', status: 'delivered', seq: 3 };
    transport.frame('status', status);
    expect(log).toEqual([]); // held: the ack has not said which id the send got
    expect(client.since).toBe(3); // but the cursor moves at once
    transport.ack(refOf(0), { ok: true, id: 'm1', status: 'delivered' });
    expect(log).toEqual([
      'ack delivered',
      { event: status, raw: status, news: false, previous: 'delivered' },
    ]);
  });

  it('a queued send that is delivered later is news, and was queued', () => {
    const { transport, client, log, refOf } = connected();
    client.send({ to: 'bob', msg: 'hi' });
    transport.ack(refOf(0), { ok: true, id: 'm1', status: 'queued' });
    transport.frame('status', { id: 'm1', to: 'bob', node: 'bob', status: 'delivered', seq: 4 });
    expect(log).toEqual(['ack queued', expect.objectContaining({ news: true, previous: 'queued' })]);
  });

  it('a broadcast copy delivered before the ack was never queued; copies settled after it are news', () => {
    const { transport, client, log, refOf } = connected();
    client.send({ to: '*', msg: 'all' });
    transport.frame('status', { id: 'b1', to: '*', node: 'n2', status: 'delivered' });
    transport.frame('status', {
      id: 'b1',
      to: '*',
      node: 'n3',
      status: 'failed',
      error: { code: 'x', message: 'no' },
    });
    transport.ack(refOf(0), { ok: true, id: 'b1', status: 'queued' });
    transport.frame('status', { id: 'b1', to: '*', node: 'n4', status: 'delivered' });
    expect(
      log.map((e) => (typeof e === 'string' ? e : `${e.event.node} ${e.event.status} news=${e.news}`)),
    ).toEqual(['ack queued', 'n2 delivered news=false', 'n3 failed news=true', 'n4 delivered news=true']);
  });

  it('a refusal the ack reports is not told twice by the status that came first', () => {
    const { transport, client, log, refOf } = connected();
    client.send({ to: 'bob', msg: 'too big' });
    transport.frame('status', { id: 'm9', to: 'bob', node: 'bob', status: 'failed' });
    transport.ack(refOf(0), { ok: false, id: 'm9', error: { code: 'peer_rejected', message: 'refused' } });
    expect(log).toEqual(['ack peer_rejected', expect.objectContaining({ news: false })]);
  });

  it('a refusal the ack reports is not told twice by the status that follows it', () => {
    // A direct message to a name without an account: the ack refuses it, then the node's status event says
    // the same message failed.
    const { transport, client, log, refOf } = connected();
    client.send({ to: 'nobody@n2', msg: 'hi' });
    transport.ack(refOf(0), {
      ok: false,
      id: 'm7',
      error: { code: 'unknown_user', message: 'no such user' },
    });
    transport.frame('status', {
      id: 'm7',
      to: 'nobody@n2',
      node: 'n2',
      status: 'failed',
      error: { code: 'unknown_user', message: 'no such user' },
    });
    expect(log).toEqual(['ack unknown_user', expect.objectContaining({ news: false, previous: 'failed' })]);
  });

  it("another user's statuses wait behind this client's acks, then are told as they are", () => {
    const { transport, client, log, refOf } = connected();
    transport.frame('status', { id: 'x1', to: 'bob', node: 'bob', status: 'expired' });
    expect(log).toEqual([expect.objectContaining({ news: true, previous: undefined })]);
    client.send({ to: 'bob', msg: 'mine' });
    transport.frame('status', { id: 'x2', to: 'bob', node: 'bob', status: 'delivered' });
    expect(log).toHaveLength(1);
    transport.ack(refOf(0), { ok: true, id: 'm1', status: 'delivered' });
    expect(log.slice(1)).toEqual([
      'ack delivered',
      expect.objectContaining({
        event: expect.objectContaining({ id: 'x2' }),
        news: true,
        previous: undefined,
      }),
    ]);
  });

  it("recognises the node's copy of a send waiting for its ack, and one whose ack was lost in the history", () => {
    const { transport, client, messages, histories, refOf } = connected();
    client.send({ to: 'n1', msg: 'note to self', user: 'ann' });
    transport.frame('msg', { id: 'm1', from: 'n1', to: 'n1', msg: 'note to self', user: 'ann', seq: 1 });
    expect(messages[0]?.ownRef).toBe(refOf(0));
    transport.frame('msg', { id: 'm2', from: 'n2', to: 'n1', msg: 'note to self', user: 'ann', seq: 2 });
    expect(messages[1]?.ownRef).toBeUndefined(); // same text from another node: not ours

    client.send({ to: 'bob', msg: 'in flight' });
    const lostRef = refOf(1);
    transport.drop();
    client.reconnectNow();
    transport.accept();
    transport.frame('history', [
      { id: 'm3', from: 'n1', to: 'bob', msg: 'in flight', seq: 3, status: 'queued' },
      { id: 'm4', from: 'n1', to: 'bob', msg: 'in flight', seq: 4, status: 'queued' },
    ]);
    expect(histories.at(-1)?.items).toEqual([
      expect.objectContaining({ kind: 'message', ownRef: lostRef }),
      expect.not.objectContaining({ ownRef: expect.anything() }),
    ]);
  });
});
