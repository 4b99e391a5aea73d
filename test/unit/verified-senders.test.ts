import { describe, expect, it } from 'vitest';
import { formatMessage, formatNodeList } from '../../src/cli/chat/format.js';
import { createChatClient, type PeerView, parseMessage, parseNodes } from '../../src/client/index.js';
import { FakeTimers } from '../fakes/fake-timers.js';
import { FakeTransport } from '../fakes/fake-transport.js';

const T = '2026-01-01T12:00:00.000Z';

describe('verified senders in the client core and the terminal (issue 15 item 3)', () => {
  it('keeps `verified` of messages and nodes only when it is true', () => {
    expect(parseMessage({ msg: 'x', from: 'b', verified: true })).toEqual({
      msg: 'x',
      from: 'b',
      verified: true,
    });
    for (const verified of [false, 'true', 1, null]) {
      expect(parseMessage({ msg: 'x', verified })).toEqual({ msg: 'x' });
    }
    expect(
      parseNodes([
        { id: 'b', url: 'http://b', verified: true },
        { id: 'p', url: 'http://p', verified: false },
        { id: 'q', url: 'http://q', verified: 'yes' },
      ]),
    ).toEqual([
      { id: 'b', url: 'http://b', state: 'alive', verified: true },
      { id: 'p', url: 'http://p', state: 'alive' },
      { id: 'q', url: 'http://q', state: 'alive' },
    ]);
  });

  it('lists which nodes are verified', () => {
    const transport = new FakeTransport();
    const client = createChatClient({ transport, timers: new FakeTimers() });
    client.start();
    transport.accept();
    transport.frame('hello', { node: { id: 'a', url: 'http://a' } });
    transport.frame('nodes', [
      { id: 'a', url: 'http://a', verified: true },
      { id: 'p', url: 'http://p', verified: false },
    ]);
    const listed = client.nodes();
    expect(listed.map((n) => [n.id, n.verified ?? false])).toEqual([
      ['a', true],
      ['p', false],
    ]);
  });

  it('marks a verified sender with ✓, node messages and direct messages alike, and verified nodes in /nodes', () => {
    const line = formatMessage({ from: 'b', to: 'a', msg: 'hi', ts: T, user: 'Bo', verified: true });
    expect(line).toMatch(/\] b ✓ \(Bo\) → a: hi$/);
    expect(formatMessage({ from: 'p', to: 'a', msg: 'hi', ts: T })).not.toContain('✓');
    const dm = formatMessage(
      { from: 'a', to: 'bob@b', fromUser: 'alice@a', msg: 'psst', ts: T, verified: true },
      'bob@b',
    );
    expect(dm).toMatch(/✉ alice@a ✓ → you: psst$/);
    const nodes: PeerView[] = [
      { id: 'a', url: 'http://a', state: 'alive', self: true, listed: true, verified: true },
      { id: 'p', url: 'http://p', state: 'alive', self: false, listed: true },
    ];
    const lines = formatNodeList(nodes, undefined, true);
    expect(lines.find((l) => l.includes('http://a'))).toContain('verified');
    expect(lines.find((l) => l.includes('http://p'))).not.toContain('verified');
  });
});
