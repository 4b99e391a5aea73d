// Who the web page says sent a message: a display name shaped as another node's account address is marked as a
// name, so an anonymous user elsewhere cannot pass for that account in the log.
import { describe, expect, it } from 'vitest';
import type { MessageItem } from '../../web/src/state.js';
import { borrowedAddress, senderLabel } from '../../web/src/views/sender-label.js';

function item(user: string | undefined, from: string, sent?: MessageItem['sent']): MessageItem {
  return {
    kind: 'msg',
    message: { id: 'm1', from, to: '*', msg: 'hi', ...(user === undefined ? {} : { user }) },
    time: 0,
    ...(sent ? { sent } : {}),
  };
}

describe('the sender of a message in the web log', () => {
  it("an account's address is shown as it is when the message came from that account's node", () => {
    expect(borrowedAddress('alice@alpha', 'alpha')).toBe(false);
    expect(senderLabel(item('alice@alpha', 'alpha'))).toBe('alice@alpha');
  });

  it('the shape of an address for another node is marked as a name, not that account', () => {
    expect(borrowedAddress('alice@alpha', 'plain-node')).toBe(true);
    expect(senderLabel(item('alice@alpha', 'plain-node'))).toBe('alice@alpha (a name, not that account)');
    // The node part is what follows the last "@" (node ids and account names have none).
    expect(borrowedAddress('a@b@alpha', 'alpha')).toBe(false);
    expect(borrowedAddress('alice@alpha@x', 'alpha')).toBe(true);
  });

  it('names without "@", no name, and this page\'s own sends keep their labels', () => {
    expect(senderLabel(item('Zed', 'beta'))).toBe('Zed');
    expect(senderLabel(item(undefined, 'beta'))).toBe('anonymous');
    const mine = { byThisPage: true } as unknown as NonNullable<MessageItem['sent']>;
    expect(senderLabel(item('alice@alpha', 'alpha', mine))).toBe('alice@alpha (you)');
  });
});
