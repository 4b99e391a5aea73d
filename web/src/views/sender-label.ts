import type { MessageItem } from '../state.js';

/** Why a page that is not signed in cannot send under `name`: the node refuses an account's address's shape. */
export function anonymousNameProblem(name: string | undefined): string | undefined {
  return name?.includes('@')
    ? 'A display name with "@" reads as an account\'s address: sign in to send as an account, or choose a ' +
        'name without "@".'
    : undefined;
}

/**
 * Whether a display name is shaped as an account's address (`name@node`) for another node than the one the
 * message came from: the sender's own words, not that account. A node sends its users' messages under their
 * addresses, and refuses such a name from its anonymous users; one from another node (a plain node's user, or
 * a node that does not check) still arrives as it was sent.
 */
export function borrowedAddress(user: string | undefined, from: string): boolean {
  if (!user) return false;
  const at = user.lastIndexOf('@');
  return at >= 0 && user.slice(at + 1) !== from;
}

/**
 * Who sent a message, as the log shows it: this page's own sends as "you", this node's other users' as "this
 * node", a name that only borrows an account's address marked as a name, no name as "anonymous".
 */
export function senderLabel(item: MessageItem): string {
  const { message: m, sent } = item;
  if (sent?.byThisPage || sent?.byMe) return m.user ? `${m.user} (you)` : 'You';
  if (sent) return m.user ? `${m.user} (this node)` : 'Sent from this node';
  if (borrowedAddress(m.user, m.from)) return `${m.user} (a name, not that account)`;
  return m.user ?? 'anonymous';
}
