import { describe, expect, it } from 'vitest';
import { Conflict, InvalidInput, TooLarge, UnknownNode } from '../../src/domain/errors.js';
import { assertMessageText, MESSAGE_MAX_BYTES, outgoingText } from '../../src/domain/message.js';
import { isValidNodeId, normalizeNodeUrl } from '../../src/domain/node-record.js';
import { PeerRegistry, type RegistryChange } from '../../src/domain/peer-registry.js';

describe('node id and url rules', () => {
  it.each(['a', 'A1', 'g7-node.x_y', 'x'.repeat(64)])('accepts id %s', (id) => {
    expect(isValidNodeId(id)).toBe(true);
  });

  it.each(['', '-a', '.a', 'a b', 'a/b', 'ñ', 'x'.repeat(65), 'a\n'])('refuses id %j', (id) => {
    expect(isValidNodeId(id)).toBe(false);
  });

  it('normalizes urls so a trailing slash does not make a second node', () => {
    expect(normalizeNodeUrl('http://127.0.0.1:8080/')).toBe('http://127.0.0.1:8080');
    expect(normalizeNodeUrl('HTTPS://Example.COM')).toBe('https://example.com');
  });

  it.each([
    ['ftp://x', 'http or https'],
    ['http://u:p@x', 'user name or password'],
    ['not a url', 'absolute'],
    [`http://x/${'a'.repeat(2048)}`, '2048'],
    ['', 'non-empty'],
  ])('refuses url %j with a sentence', (url, words) => {
    expect(() => normalizeNodeUrl(url)).toThrow(InvalidInput);
    expect(() => normalizeNodeUrl(url)).toThrow(words);
  });
});

describe('message rules', () => {
  it('accepts exactly 64 KiB of UTF-8 and refuses one byte more', () => {
    expect(assertMessageText('a'.repeat(MESSAGE_MAX_BYTES))).toHaveLength(MESSAGE_MAX_BYTES);
    expect(() => assertMessageText('a'.repeat(MESSAGE_MAX_BYTES + 1))).toThrow(TooLarge);
  });

  it('counts bytes, not characters', () => {
    const euro = '€'; // three bytes in UTF-8
    const fits = euro.repeat(Math.floor(MESSAGE_MAX_BYTES / 3));
    expect(assertMessageText(fits)).toBe(fits);
    expect(() => assertMessageText(fits + euro)).toThrow(TooLarge);
  });

  it('checks what a user sends and never takes a from field', () => {
    expect(outgoingText({ to: 'b', msg: 'hi', user: 'ana', from: 'forged' } as never)).toEqual({
      to: 'b',
      msg: 'hi',
      user: 'ana',
    });
    expect(() => outgoingText({ to: 'b', msg: 42 })).toThrow('"msg" must be a string');
    expect(() => outgoingText({ to: 'no spaces', msg: 'x' })).toThrow(InvalidInput);
    expect(() => outgoingText({ to: 'b', msg: 'x', user: 'u'.repeat(65) })).toThrow('at most 64');
  });
});

describe('PeerRegistry', () => {
  const self = { id: 'a', url: 'http://a' };

  it('lists itself first and its peers by id', () => {
    const registry = new PeerRegistry(self);
    registry.announce({ id: 'c', url: 'http://c' });
    registry.announce({ id: 'b', url: 'http://b' });
    expect(registry.list().map((n) => n.id)).toEqual(['a', 'b', 'c']);
  });

  it('reports added, updated and unchanged, and tells listeners only of real changes', () => {
    const registry = new PeerRegistry(self);
    const changes: RegistryChange[] = [];
    registry.onChange((c) => changes.push(c));
    expect(registry.announce({ id: 'b', url: 'http://b' })).toBe('added');
    expect(registry.announce({ id: 'b', url: 'http://b' })).toBe('unchanged');
    expect(registry.suspect('b')).toBe(true);
    // A plain node (no incarnation) may move once its old address stopped answering.
    expect(registry.announce({ id: 'b', url: 'http://b2' })).toBe('updated');
    // An update says the state it replaced: the move lifted b's suspicion.
    expect(changes.map((c) => c.before)).toEqual([undefined, 'alive', 'suspect']);
    expect(changes.map((c) => `${c.kind}:${c.node.url}:${c.node.state}`)).toEqual([
      'added:http://b:alive',
      'updated:http://b:suspect',
      'updated:http://b2:alive',
    ]);
  });

  it('removes a peer only when both id and url match', () => {
    const registry = new PeerRegistry(self);
    registry.announce({ id: 'b', url: 'http://b' });
    expect(() => registry.remove({ id: 'b', url: 'http://other' })).toThrow(Conflict);
    expect(registry.get('b')).toBeDefined();
    expect(() => registry.remove({ id: 'zz', url: 'http://b' })).toThrow(UnknownNode);
    registry.remove({ id: 'b', url: 'http://b' });
    expect(registry.get('b')).toBeUndefined();
  });

  it('keeps its own id: an echo of itself is harmless, another url for it is a conflict', () => {
    const registry = new PeerRegistry(self);
    expect(registry.announce({ id: 'a', url: 'http://a' })).toBe('unchanged');
    expect(() => registry.announce({ id: 'a', url: 'http://elsewhere' })).toThrow(Conflict);
    expect(() => registry.remove(self)).toThrow(Conflict);
    expect(registry.list()).toEqual([{ ...self, incarnation: 0, state: 'alive' }]);
  });
});
