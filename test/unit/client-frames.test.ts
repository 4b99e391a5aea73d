import { describe, expect, it } from 'vitest';
import {
  createChatClient,
  MAX_MESH_NODES,
  parseAck,
  parseMesh,
  parseMessage,
  parseNodes,
  parseStatusEvent,
  parseWireError,
  parseWsFrame,
  wsPath,
  wsSendFrame,
} from '../../src/client/index.js';
import { FakeTimers } from '../fakes/fake-timers.js';
import { FakeTransport } from '../fakes/fake-transport.js';

const HOSTILE: unknown[] = [null, undefined, 0, 'text', [], [1, 2], { msg: 5 }, { id: {} }, { toString: 1 }];

describe('client frames', () => {
  it('takes what it knows from a message and nothing of the wrong type', () => {
    expect(
      parseMessage({
        id: 'a',
        from: 'n2',
        to: 'n1',
        msg: 'hi',
        ts: 'T',
        user: 'bob',
        seq: 4,
        status: 'queued',
        extra: 1,
      }),
    ).toEqual({ id: 'a', from: 'n2', to: 'n1', msg: 'hi', ts: 'T', user: 'bob', seq: 4, status: 'queued' });
    expect(parseMessage({ msg: 'x', id: 7, from: null, seq: -1 })).toEqual({ msg: 'x' });
    expect(parseMessage({ msg: 'x', seq: 2 ** 60 })).toEqual({ msg: 'x' });
    for (const value of HOSTILE) expect(parseMessage(value)).toBeUndefined();
  });

  it('keeps node list entries that are nodes, once each; a node without state is alive', () => {
    expect(
      parseNodes([
        { id: 'a', url: 'http://a' },
        { id: 'a', url: 'http://other' },
        { id: '*', url: 'http://everyone' },
        { id: '' },
        'b',
        { id: 'c', state: 'suspect', incarnation: 3 },
      ]),
    ).toEqual([
      { id: 'a', url: 'http://a', state: 'alive' },
      { id: 'c', url: '', state: 'suspect', incarnation: 3 },
    ]);
    expect(parseNodes({ nodes: [] })).toBeUndefined();
  });

  it('reads acks, status events and errors in every shape, never a bad ack as success', () => {
    expect(parseAck({ ok: true, id: 'm1', status: 'queued' })).toEqual({
      ok: true,
      id: 'm1',
      status: 'queued',
    });
    expect(parseAck({ ok: true })).toEqual({ ok: true, status: 'delivered' });
    expect(parseAck({ ok: false, id: 'm2', error: { code: 'c', message: 'm' } })).toEqual({
      ok: false,
      id: 'm2',
      error: { code: 'c', message: 'm' },
    });
    for (const value of [...HOSTILE, { ok: 'yes' }])
      expect(parseAck(value)).toMatchObject({ ok: false, error: { code: 'bad_ack' } });
    expect(
      parseStatusEvent({ id: 'm', status: 'failed', to: '*', node: 'b', seq: 1, error: 'boom' }),
    ).toEqual({
      id: 'm',
      status: 'failed',
      to: '*',
      node: 'b',
      seq: 1,
      error: { code: 'error', message: 'boom' },
    });
    for (const value of HOSTILE) expect(parseStatusEvent(value)).toBeUndefined();
    expect(parseWireError({ error: { code: 'rate_limited', message: 'slow' } })).toEqual({
      code: 'rate_limited',
      message: 'slow',
    });
    expect(parseWireError(42)).toEqual({ code: 'error', message: 'unknown error from the node' });
  });

  it('cuts a mesh frame to what it keeps, and keeps linked nodes it was not told about', () => {
    const many = Array.from({ length: MAX_MESH_NODES + 5 }, (_, i) => ({ id: `n${i}`, url: '' }));
    const big = parseMesh({ nodes: many, links: [] });
    expect(big?.nodes).toHaveLength(MAX_MESH_NODES);
    expect(big?.cut).toBe(true);
    expect(
      parseMesh({
        nodes: [{ id: 'a', state: 'alive' }],
        links: [
          { from: 'a', to: 'b' },
          { from: 'a', to: 'b' },
          { from: 'a', to: 'a' },
          { from: 'a', to: '*' },
          'x',
        ],
      }),
    ).toEqual({
      nodes: [
        { id: 'a', url: '', state: 'alive' },
        { id: 'b', url: '', state: 'unknown' },
      ],
      links: [{ from: 'a', to: 'b' }],
      cut: false,
    });
    expect(parseMesh({ links: [] })).toBeUndefined();
  });

  it('maps /ws text frames to the shape every transport gives, and writes sends', () => {
    expect(parseWsFrame('{"type":"nodes","nodes":[{"id":"a"}]}')).toEqual({
      type: 'nodes',
      data: [{ id: 'a' }],
    });
    expect(parseWsFrame('{"type":"history","messages":[]}')).toEqual({ type: 'history', data: [] });
    expect(parseWsFrame('{"type":"ack","ref":"r1","ok":true,"id":"m1","status":"delivered"}')).toEqual({
      type: 'ack',
      ref: 'r1',
      data: { ref: 'r1', ok: true, id: 'm1', status: 'delivered' },
    });
    expect(parseWsFrame('{"type":"msg","from":"a","msg":"hi"}')).toEqual({
      type: 'msg',
      data: { from: 'a', msg: 'hi' },
    });
    expect(parseWsFrame('{"type":"error","error":{"code":"invalid_frame","message":"no"}}')).toEqual({
      type: 'error',
      data: { error: { code: 'invalid_frame', message: 'no' } },
    });
    for (const text of ['', 'not json', '[]', '{"type":"teleport"}', '{"msg":"no type"}', 'null']) {
      expect(parseWsFrame(text)).toBeUndefined();
    }
    expect(JSON.parse(wsSendFrame({ to: 'b', msg: 'hi' }, 'r2'))).toEqual({
      type: 'msg',
      to: 'b',
      msg: 'hi',
      ref: 'r2',
    });
    expect(wsPath(undefined)).toBe('/ws');
    expect(wsPath(12)).toBe('/ws?since=12');
  });

  it('a client fed malformed frames says what it ignored and keeps going', () => {
    const transport = new FakeTransport();
    const client = createChatClient({ transport, timers: new FakeTimers() });
    const ignored: string[] = [];
    client.on('malformed', (what) => ignored.push(what));
    client.start();
    transport.accept();
    for (const type of ['hello', 'nodes', 'mesh', 'msg', 'history', 'status'] as const)
      transport.frame(type, 'garbage');
    transport.frame('history', [{ msg: 'ok', id: 'h1' }, 7]);
    transport.frame('ack', { ok: true }, 'no-such-ref');
    expect(ignored).toHaveLength(7);
    expect(ignored[0]).toBe('a hello frame without a node');
    expect(client.connection.state).toBe('open');
  });
});
