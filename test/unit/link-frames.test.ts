import { describe, expect, it } from 'vitest';
import { parseLinkAnswer, parseLinkRequest } from '../../src/adapters/peers/link-frames.js';

const request = (frame: unknown) => parseLinkRequest(JSON.stringify(frame));

describe('peer link frames', () => {
  it('takes a request for a node-to-node call, with its headers and body', () => {
    expect(
      request({ id: 1, method: 'PUT', path: '/msg', headers: { 'x-a': 'b' }, body: { msg: 'hi' } }),
    ).toEqual({
      id: 1,
      method: 'PUT',
      path: '/msg',
      headers: { 'x-a': 'b' },
      body: { msg: 'hi' },
    });
    expect(request({ id: 2, method: 'GET', path: '/nodes?include=dead' })).toEqual({
      id: 2,
      method: 'GET',
      path: '/nodes?include=dead',
      headers: {},
    });
  });

  it('refuses what is not a call on this node: other methods, absolute or protocol-relative paths, bad ids', () => {
    for (const frame of [
      { id: 1, method: 'CONNECT', path: '/msg' },
      { id: 1, method: 'put', path: '/msg' },
      { id: 1, method: 'GET', path: 'http://elsewhere.test/nodes' },
      { id: 1, method: 'GET', path: '//elsewhere.test/nodes' },
      { id: 1, method: 'GET', path: `/${'a'.repeat(5000)}` },
      { id: -1, method: 'GET', path: '/nodes' },
      { id: '1', method: 'GET', path: '/nodes' },
      { method: 'GET', path: '/nodes' },
      [1, 'GET', '/nodes'],
    ]) {
      expect(request(frame), JSON.stringify(frame).slice(0, 80)).toBeUndefined();
    }
    expect(parseLinkRequest('not json')).toBeUndefined();
  });

  it('bounds the headers a request may carry', () => {
    const many = Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`x-${i}`, 'v']));
    expect(request({ id: 1, method: 'GET', path: '/nodes', headers: many })).toBeUndefined();
    expect(
      request({ id: 1, method: 'GET', path: '/nodes', headers: { 'x-a': 'v'.repeat(9000) } }),
    ).toBeUndefined();
    expect(request({ id: 1, method: 'GET', path: '/nodes', headers: { 'x-a': 1 } })).toBeUndefined();
    expect(request({ id: 1, method: 'GET', path: '/nodes', headers: { 'bad name': 'v' } })).toBeUndefined();
    expect(
      request({ id: 1, method: 'GET', path: '/nodes', headers: { 'x-a': 'v\r\nx-b: w' } }),
    ).toBeUndefined();
  });

  it('takes an answer with a status and the answer text, nothing else', () => {
    expect(parseLinkAnswer(JSON.stringify({ id: 3, status: 200, body: '{"ok":true}' }))).toEqual({
      id: 3,
      status: 200,
      body: '{"ok":true}',
    });
    expect(parseLinkAnswer(JSON.stringify({ id: 3, status: 200, body: { ok: true } }))).toBeUndefined();
    expect(parseLinkAnswer(JSON.stringify({ id: 3, status: 700, body: '' }))).toBeUndefined();
    expect(parseLinkAnswer(JSON.stringify({ status: 200, body: '' }))).toBeUndefined();
  });

  it("takes an answer's headers (a GET /users list's version), bounded as a request's are", () => {
    const headers = { 'meshchat-directory-version': '42' };
    expect(parseLinkAnswer(JSON.stringify({ id: 4, status: 200, body: '[]', headers }))).toEqual({
      id: 4,
      status: 200,
      body: '[]',
      headers,
    });
    const bad = [
      { 'meshchat-directory-version': 42 },
      { 'bad name': 'v' },
      { 'x-a': 'v\r\nx-b: w' },
      Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`x-${i}`, 'v'])),
      ['meshchat-directory-version', '42'],
    ];
    for (const headers of bad) {
      expect(parseLinkAnswer(JSON.stringify({ id: 4, status: 200, body: '', headers }))).toBeUndefined();
    }
  });
});
