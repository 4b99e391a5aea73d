import { describe, expect, it } from 'vitest';
import { parseChatArgs } from '../../src/cli/chat/chat-args.js';
import { formatMessage, formatPresence, formatUserList } from '../../src/cli/chat/format.js';

const ts = '2026-01-01T10:00:00.000Z';

describe('meshchat chat: logins and direct messages on the terminal', () => {
  it('takes --login and a user address as --to, and refuses malformed ones', () => {
    expect(
      parseChatArgs(['--node', 'http://127.0.0.1:1', '--login', 'Alice', '--to', 'Bob@b']),
    ).toMatchObject({
      login: 'alice',
      to: 'bob@b',
    });
    expect(() => parseChatArgs(['--node', 'http://127.0.0.1:1', '--login', 'a b'])).toThrow(/--login/);
    expect(() => parseChatArgs(['--node', 'http://127.0.0.1:1', '--to', 'bad name@b'])).toThrow(/--to/);
  });

  it('prints a direct message as "✉ sender → you", and one the user sent as "you → recipient" with its status', () => {
    const received = { id: '1', from: 'a', to: 'bob@b', msg: 'hi', ts, fromUser: 'alice@a', user: 'alice@a' };
    expect(formatMessage(received, 'bob@b')).toMatch(/^\[\d\d:\d\d:\d\d\] ✉ alice@a → you: hi$/);
    expect(formatMessage({ ...received, status: 'delivered' }, 'alice@a')).toMatch(
      /✉ you → bob@b: hi {2}\[delivered\]$/,
    );
    expect(formatMessage({ ...received, msg: 'x\u001b[2J' }, 'bob@b')).toContain('x\\x1b[2J');
    expect(formatMessage({ id: '2', from: 'a', to: 'b', msg: 'node', ts })).not.toContain('✉');
  });

  it('prints presence changes and the user list', () => {
    expect(formatPresence({ user: 'bob@b', online: true, lastSeen: null })).toBe('• bob@b is online');
    expect(formatPresence({ user: 'bob@b', online: false, lastSeen: ts })).toMatch(
      /^• bob@b went offline \(last seen \d\d:\d\d:\d\d\)$/,
    );
    expect(
      formatUserList([
        { user: 'alice@a', online: true, lastSeen: null },
        { user: 'bob@a', online: false, lastSeen: ts },
      ]),
    ).toEqual(['users (2):', '  alice@a  online', `  bob@a    offline, last seen ${ts}`]);
  });
});
