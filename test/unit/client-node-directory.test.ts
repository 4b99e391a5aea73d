import { describe, expect, it } from 'vitest';
import { createChatClient, type NodeNotice } from '../../src/client/index.js';
import { FakeTimers } from '../fakes/fake-timers.js';
import { FakeTransport } from '../fakes/fake-transport.js';

const N1 = { id: 'n1', url: 'http://n1', state: 'alive' };
const BOB = { id: 'bob', url: 'http://bob', state: 'alive' };
const CAROL = { id: 'carol', url: 'http://carol', state: 'alive' };
const DAVE = { id: 'dave', url: 'http://dave', state: 'alive' };

/** A client on node n1 that lists n1, bob, carol and dave; `maps` says whether the node sends mesh frames. */
function onNode(maps: boolean) {
  const transport = new FakeTransport();
  const timers = new FakeTimers();
  const client = createChatClient({ transport, timers, goneNoticeMs: 3_000 });
  const notices: NodeNotice[] = [];
  client.on('notices', (batch) => notices.push(...batch));
  const connect = (nodes: object[], graph?: object[]) => {
    transport.accept();
    transport.frame('hello', { node: N1 });
    transport.frame('nodes', nodes);
    transport.frame('history', []);
    if (maps) transport.frame('mesh', { nodes: graph ?? nodes, links: [] });
  };
  client.start();
  connect([N1, BOB, CAROL, DAVE]);
  const texts = () => notices.map((n) => n.text);
  return { transport, timers, client, notices, texts, connect };
}

describe('client node notices', () => {
  it('the first list is the baseline: nothing is announced', () => {
    const { notices, client } = onNode(true);
    expect(notices).toEqual([]);
    expect(client.nodes().map((n) => `${n.id}:${n.state}`)).toEqual([
      'n1:alive',
      'bob:alive',
      'carol:alive',
      'dave:alive',
    ]);
  });

  it('a restart of its own node is not a change: no "left", no "joined", states unknown meanwhile', () => {
    const { transport, timers, client, notices, connect } = onNode(true);
    transport.drop();
    // while the node is unreachable, nobody is "up"
    expect(client.nodes().map((n) => n.state)).toEqual(['unknown', 'unknown', 'unknown', 'unknown']);
    expect(client.nodeState('bob')).toBe('unknown');
    timers.advance(client.connection.retryAt ?? 0);
    // the restarted node lists only itself at first, then finds the others again
    connect([N1]);
    expect(client.nodeState('bob')).toBe('unknown');
    transport.frame('nodes', [N1, BOB]);
    transport.frame('nodes', [N1, BOB, CAROL, DAVE]);
    timers.advance(10_000);
    expect(notices).toEqual([]);
    expect(client.nodeState('bob')).toBe('alive');
  });

  it('after a reconnect, a node its own node buried meanwhile is told with its reason', () => {
    const { transport, timers, client, texts, connect } = onNode(true);
    transport.drop();
    timers.advance(client.connection.retryAt ?? 0);
    connect([N1, BOB, CAROL], [N1, BOB, CAROL, { ...DAVE, state: 'dead' }]);
    expect(texts()).toEqual(['dave went down (stopped answering)']);
  });

  it('a node that left and one that crashed read differently; one whose reason never comes reads "left or went down"', () => {
    const { transport, timers, client, notices, texts } = onNode(true);
    transport.frame('nodes', [N1, CAROL]);
    // the reason comes with the next mesh frame; until then, nothing is said
    expect(notices).toEqual([]);
    expect(client.nodeState('bob')).toBe('gone');
    transport.frame('mesh', {
      nodes: [N1, CAROL, { ...BOB, state: 'left' }, { ...DAVE, state: 'dead' }],
      links: [],
    });
    expect(notices.map((n) => [n.kind, n.id])).toEqual([
      ['left', 'bob'],
      ['dead', 'dave'],
    ]);
    expect(texts()).toEqual(['bob left the network', 'dave went down (stopped answering)']);
    expect(client.nodeState('bob')).toBe('left');
    expect(client.nodeState('dave')).toBe('dead');

    transport.frame('nodes', [N1]);
    timers.advance(2_999);
    expect(notices).toHaveLength(2);
    timers.advance(1);
    expect(texts().at(-1)).toBe('carol left or went down');
  });

  it('a node that returns after being gone "came back"; only a node never seen "joined"', () => {
    const { transport, texts } = onNode(true);
    transport.frame('nodes', [N1, CAROL, DAVE]);
    transport.frame('mesh', { nodes: [N1, CAROL, DAVE, { ...BOB, state: 'left' }], links: [] });
    transport.frame('nodes', [N1, BOB, CAROL, DAVE, { id: 'erin', url: 'http://erin', state: 'suspect' }]);
    transport.frame('nodes', [
      N1,
      BOB,
      { ...CAROL, state: 'suspect' },
      DAVE,
      { id: 'erin', url: 'http://erin' },
    ]);
    expect(texts()).toEqual([
      'bob left the network',
      'bob came back',
      'erin joined (not answering)',
      'carol is not answering',
      'erin is answering again',
    ]);
  });

  it('a node that sends no maps: a dropped node is told at once, reason unknown', () => {
    const { transport, notices } = onNode(false);
    transport.frame('nodes', [N1, BOB, CAROL]);
    expect(notices).toEqual([{ kind: 'gone', id: 'dave', state: 'gone', text: 'dave left or went down' }]);
  });

  it('knownNodes keeps the nodes that are gone, with their state', () => {
    const { transport, client } = onNode(true);
    transport.frame('nodes', [N1, BOB, CAROL]);
    transport.frame('mesh', { nodes: [N1, BOB, CAROL, { ...DAVE, state: 'left' }], links: [] });
    expect(client.nodes().map((n) => n.id)).toEqual(['n1', 'bob', 'carol']);
    expect(client.knownNodes().map((n) => `${n.id}:${n.state}:${n.listed}`)).toEqual([
      'n1:alive:true',
      'bob:alive:true',
      'carol:alive:true',
      'dave:left:false',
    ]);
  });
});
