// The web page's store on the client core, without a browser: the core on a fake transport, the page's
// store-events and sent-message ticks as the page runs them. What is drawn is read from the state.
import { describe, expect, it } from 'vitest';
import { createChatClient } from '../../src/client/index.js';
import { conversation, sendAndShow } from '../../web/src/conversations.js';
import { peerState, reachWords } from '../../web/src/peers.js';
import { type AppState, createState } from '../../web/src/state.js';
import { Store } from '../../web/src/store.js';
import { storeEvents } from '../../web/src/store-events.js';
import { tickOf } from '../../web/src/views/tick.js';
import { FakeTimers } from '../fakes/fake-timers.js';
import { FakeTransport } from '../fakes/fake-transport.js';

const NODES = [
  { id: 'n1', url: 'http://n1', state: 'alive' },
  { id: 'n2', url: 'http://n2', state: 'alive' },
  { id: 'n3', url: 'http://n3', state: 'alive' },
];

/** A page on node n1 whose browser remembers `sentIds` from earlier loads; `connect` plays n1's greeting. */
function page(sentIds: string[] = []) {
  const transport = new FakeTransport();
  const timers = new FakeTimers();
  const client = createChatClient({ transport, timers });
  const remembered = new Set(sentIds);
  const store = new Store(
    createState(undefined, { has: (id) => remembered.has(id), add: (id) => remembered.add(id) }),
  );
  const s = store.state;
  storeEvents(client, store, {
    openEveryone: () => {},
    nodeError: () => {},
    presence: () => {},
    loginRefused: () => {},
    authRequired: () => {},
  });
  const connect = (history: unknown[] = [], nodes = NODES) => {
    transport.accept();
    transport.frame('hello', { node: { id: 'n1', url: 'http://n1' } });
    transport.frame('nodes', nodes);
    transport.frame('history', history);
  };
  const send = (to: string, msg: string) => sendAndShow(s, client, { to, msg });
  const refOf = (i: number) => transport.sent[i]?.ref ?? '';
  /** The messages of a conversation as drawn: text, tick status and whether this browser sent it. */
  const drawn = (key: string) =>
    conversation(s, key).items.flatMap((item) =>
      item.kind === 'msg'
        ? [
            {
              msg: item.message.msg,
              tick: item.sent && tickOf(item.sent).status,
              ours: item.sent?.byThisPage,
            },
          ]
        : [],
    );
  const notices = (key: string) =>
    conversation(s, key).items.flatMap((item) => (item.kind === 'notice' ? [item.text] : []));
  client.start();
  return { transport, timers, client, s: s as AppState, remembered, connect, send, refOf, drawn, notices };
}

describe("the web page's store on the client core", () => {
  it('shows a send at once, ticks it as the node answers, and remembers its id for the next page load', () => {
    const { transport, connect, send, refOf, drawn, remembered } = page();
    connect();
    send('n2', 'hi');
    expect(drawn('n2')).toEqual([{ msg: 'hi', tick: 'sending', ours: true }]);
    transport.ack(refOf(0), { ok: true, id: 'm1', status: 'queued' });
    expect(drawn('n2')).toEqual([{ msg: 'hi', tick: 'queued', ours: true }]);
    transport.frame('status', { id: 'm1', to: 'n2', node: 'n2', status: 'delivered', seq: 4 });
    expect(drawn('n2')).toEqual([{ msg: 'hi', tick: 'delivered', ours: true }]);
    expect([...remembered]).toEqual(['m1']);
  });

  it('after a reload, tells its own sends from another user of the node by the remembered ids', () => {
    const { connect, drawn } = page(['mine']);
    connect([
      { id: 'mine', from: 'n1', to: 'n2', msg: 'by me', seq: 1, status: 'delivered' },
      { id: 'theirs', from: 'n1', to: 'n2', msg: 'by a colleague', seq: 2, status: 'queued' },
      { id: 'in', from: 'n2', to: 'n1', msg: 'from n2', seq: 3 },
    ]);
    expect(drawn('n2')).toEqual([
      { msg: 'by me', tick: 'delivered', ours: true },
      { msg: 'by a colleague', tick: 'queued', ours: false },
      { msg: 'from n2', tick: undefined, ours: undefined },
    ]);
  });

  it("ticks another user's live send with its status, and its later status events", () => {
    const { transport, connect, drawn } = page();
    connect();
    transport.frame('msg', { id: 'c1', from: 'n1', to: 'n2', msg: 'by Carla', seq: 5, status: 'queued' });
    transport.frame('status', { id: 'c1', to: 'n2', node: 'n2', status: 'delivered', seq: 6 });
    expect(drawn('n2')).toEqual([{ msg: 'by Carla', tick: 'delivered', ours: false }]);
  });

  it('a send refused at once (the client stopped) is shown failed, its ack having come before it was shown', () => {
    const { client, connect, send, drawn } = page();
    connect();
    client.stop();
    send('n2', 'too late');
    expect(drawn('n2')).toEqual([{ msg: 'too late', tick: 'failed', ours: true }]);
  });

  it('a broadcast echoed before its ack stays one message, with each node’s outcome', () => {
    const { transport, connect, send, refOf, drawn, s } = page();
    connect();
    send('*', 'to all');
    transport.frame('msg', { id: 'b1', from: 'n1', to: '*', msg: 'to all', seq: 7, status: 'queued' });
    transport.ack(refOf(0), { ok: true, id: 'b1', status: 'queued' });
    transport.frame('status', { id: 'b1', to: '*', node: 'n2', status: 'delivered' });
    transport.frame('status', {
      id: 'b1',
      to: '*',
      node: 'n3',
      status: 'expired',
      error: { code: 'x', message: 'ttl' },
    });
    expect(drawn('*')).toEqual([{ msg: 'to all', tick: 'expired', ours: true }]);
    const item = conversation(s, '*').items[0];
    const text = item?.kind === 'msg' && item.sent ? tickOf(item.sent).text : '';
    expect(text).toBe('✗ not delivered to n3 (expired); delivered to n2');
  });

  it('a send whose ack was lost with the connection is unconfirmed, then found again in the history', () => {
    const { transport, timers, client, connect, send, drawn } = page();
    connect();
    send('n2', 'did it arrive?');
    transport.drop();
    expect(drawn('n2')).toEqual([{ msg: 'did it arrive?', tick: 'unconfirmed', ours: true }]);
    timers.advance((client.connection.retryAt ?? 0) - timers.now());
    connect([{ id: 'm9', from: 'n1', to: 'n2', msg: 'did it arrive?', seq: 9, status: 'delivered' }]);
    expect(drawn('n2')).toEqual([{ msg: 'did it arrive?', tick: 'delivered', ours: true }]);
  });

  it('shows every node unknown while its node is unreachable, and tells why a node went and that it came back', () => {
    const { transport, timers, client, connect, notices, s } = page();
    connect();
    transport.frame('mesh', { nodes: NODES, links: [] });
    transport.frame('nodes', NODES.slice(0, 2));
    transport.frame('mesh', {
      nodes: [...NODES.slice(0, 2), { id: 'n3', url: 'http://n3', state: 'left' }],
      links: [],
    });
    expect(peerState(s, 'n3')).toBe('dead');
    expect(s.nodes.find((n) => n.id === 'n3')?.state).toBe('left');

    transport.drop();
    expect(['n1', 'n2', 'n3'].map((id) => peerState(s, id))).toEqual(['unknown', 'unknown', 'unknown']);
    timers.advance((client.connection.retryAt ?? 0) - timers.now());
    connect();
    expect(peerState(s, 'n2')).toBe('alive');
    expect(notices('n3')).toEqual(['n3 left the network', 'n3 came back']);
    // A reconnect is not news: nothing was said about n2.
    expect(notices('n2')).toEqual([]);
  });

  it('says who Everyone reaches without calling nodes down while the page cannot reach its own node', () => {
    const { transport, timers, client, connect, s } = page();
    connect();
    expect(reachWords(s)).toBe('2 other nodes');
    transport.frame('nodes', [NODES[0], NODES[1], { ...NODES[2], state: 'dead' }]);
    expect(reachWords(s)).toBe('2 other nodes, 1 down');

    // The list marks every node unknown now; Everyone must not say they are down.
    transport.drop();
    expect(reachWords(s)).toBe('2 other nodes, 2 unknown');
    timers.advance((client.connection.retryAt ?? 0) - timers.now());
    connect();
    expect(reachWords(s)).toBe('2 other nodes');
  });

  it("tells the signed-in user's own messages from another browser apart from another user's of the node", () => {
    const { transport, connect, s } = page();
    connect();
    transport.frame('auth', { ok: true, user: 'alice@n1' });
    transport.frame('history', [
      { id: 'c1', from: 'n1', to: 'n2', user: 'carl@n1', msg: 'by carl', seq: 2, status: 'delivered' },
      {
        id: 'd1',
        from: 'n1',
        to: 'bob@n2',
        fromUser: 'alice@n1',
        user: 'alice@n1',
        msg: 'from my phone',
        seq: 3,
        status: 'delivered',
      },
    ]);
    const byMe = (key: string) =>
      conversation(s, key).items.flatMap((item) =>
        item.kind === 'msg' ? [[item.message.msg, item.sent?.byThisPage, item.sent?.byMe === true]] : [],
      );
    // Both were sent from this node, neither from this browser; only hers is hers.
    expect(byMe('bob@n2')).toEqual([['from my phone', false, true]]);
    expect(byMe('n2')).toEqual([['by carl', false, false]]);
  });

  it('puts direct messages in one conversation per other user, and a DM to an unknown user fails in words', () => {
    const { transport, connect, send, refOf, drawn, s } = page();
    connect([{ id: 'n', from: 'n2', to: 'n1', msg: 'to the node', seq: 1 }]);
    transport.frame('auth', { ok: true, user: 'alice@n1' });
    expect(s.account.me).toBe('alice@n1');
    // The login's direct messages come as the same connection's second history.
    transport.frame('history', [
      { id: 'd1', from: 'n2', to: 'alice@n1', fromUser: 'bob@n2', user: 'bob@n2', msg: 'hi alice', seq: 2 },
      {
        id: 'd2',
        from: 'n1',
        to: 'bob@n2',
        fromUser: 'alice@n1',
        user: 'alice@n1',
        msg: 'hi bob',
        seq: 3,
        status: 'delivered',
      },
    ]);
    expect(drawn('bob@n2')).toEqual([
      { msg: 'hi alice', tick: undefined, ours: undefined },
      { msg: 'hi bob', tick: 'delivered', ours: false },
    ]);
    expect(drawn('n2')).toEqual([{ msg: 'to the node', tick: undefined, ours: undefined }]);
    expect(conversation(s, 'bob@n2').unread).toBe(0);
    transport.frame('msg', {
      id: 'd3',
      from: 'n2',
      to: 'alice@n1',
      fromUser: 'bob@n2',
      msg: 'there?',
      seq: 4,
    });
    expect(conversation(s, 'bob@n2').unread).toBe(1);

    send('nobody@n2', 'anyone?');
    transport.ack(refOf(0), {
      ok: false,
      error: {
        code: 'unknown_user',
        message: 'There is no user "nobody@n2": the name has no account on that node.',
      },
    });
    const failed = conversation(s, 'nobody@n2').items[0];
    if (failed?.kind !== 'msg' || !failed.sent) throw new Error('the send is not shown');
    expect(tickOf(failed.sent)).toEqual({
      status: 'failed',
      text: '✗ failed: There is no user "nobody@n2": the name has no account on that node. (unknown_user)',
    });
  });

  it('turns a refused login token into one call to fall back, without a node error for the composer', async () => {
    const transport = new FakeTransport();
    const client = createChatClient({ transport, timers: new FakeTimers() });
    const store = new Store(createState(undefined, { has: () => false, add: () => {} }));
    const calls: string[] = [];
    storeEvents(client, store, {
      openEveryone: () => {},
      nodeError: (text) => calls.push(`error: ${text}`),
      presence: (change) => calls.push(`presence: ${change.user}`),
      loginRefused: () => calls.push('refused'),
      authRequired: () => calls.push('auth required'),
    });
    client.start();
    transport.accept();
    transport.frame('presence', { user: 'bob@n1', online: true, lastSeen: null });
    // Refused for another reason: nothing to fall back from.
    transport.drop('turned away', true);
    await Promise.resolve();
    expect(calls).toEqual(['presence: bob@n1']);

    client.start();
    transport.accept();
    transport.frame('error', { error: { code: 'unauthenticated', message: 'The token expired.' } });
    transport.drop('the node refused the login', true, true);
    await Promise.resolve();
    expect(calls).toEqual(['presence: bob@n1', 'refused']);
    expect(store.state.conn).toMatchObject({ state: 'closed', refused: true, loginRefused: true });

    // A private node turns the anonymous page away: one call to ask for a sign-in, no node error.
    client.start();
    transport.accept();
    transport.frame('error', {
      error: { code: 'auth_required', message: 'This node is private: log in first (socket.io: …)' },
    });
    transport.drop();
    await Promise.resolve();
    expect(calls).toEqual(['presence: bob@n1', 'refused', 'auth required']);
  });

  it('shows a burst of the same node error once, counted, in the open conversation, and a different one apart', () => {
    const { transport, connect, send, notices, s } = page();
    connect();
    s.openKey = 'n2';
    const limited = {
      error: { code: 'rate_limited', message: 'Too many messages; try again in 1 second.', retryAfter: 1 },
    };
    // A pasted or scripted burst: every frame over the budget is answered with the same error.
    for (let i = 0; i < 40; i++) send('n2', `line ${i}`);
    for (let i = 0; i < 25; i++) transport.frame('error', limited);
    const items = conversation(s, 'n2').items.filter((item) => item.kind === 'notice');
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ error: true, repeats: 25 });
    expect(notices('n2')).toEqual(['Node error (rate_limited): Too many messages; try again in 1 second.']);

    transport.frame('error', { error: { code: 'invalid_frame', message: 'Not a message.' } });
    transport.frame('error', limited);
    expect(notices('n2')).toEqual([
      'Node error (rate_limited): Too many messages; try again in 1 second.',
      'Node error (invalid_frame): Not a message.',
      'Node error (rate_limited): Too many messages; try again in 1 second.',
    ]);
  });
});

describe('conversation order', () => {
  it('places history by time, and two messages of one node in the same millisecond by their ids', async () => {
    const { addIncoming } = await import('../../web/src/conversations.js');
    const state = createState(undefined, { has: () => false, add: () => {} });
    const ts = '2026-01-01T00:00:00.000Z';
    const message = (id: string, msg: string, at = ts) => ({ id, from: 'alpha', to: '*', msg, ts: at });
    // The newest page first, then an older page whose last message shares the first one's millisecond.
    for (const m of [message('0002', 'old 8'), message('0003', 'old 9')])
      addIncoming(state, { message: m }, false);
    const older = [message('0000', 'old 6', '2025-12-31T23:59:59.999Z'), message('0001', 'old 7')];
    for (const m of older) addIncoming(state, { message: m }, false);
    const texts = conversation(state, '*').items.map((item) => (item.kind === 'msg' ? item.message.msg : ''));
    expect(texts).toEqual(['old 6', 'old 7', 'old 8', 'old 9']);
  });
});
