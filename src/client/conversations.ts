import { EVERYONE } from './frames.js';

/** What a conversation key is computed from: a message as the client has it. */
export interface Addressed {
  readonly from?: string;
  readonly to?: string;
  readonly fromUser?: string;
}

/** Whether `to` is a user address (`name@node`): node ids never contain `@`. */
export function isUserAddress(to: string | undefined): to is string {
  return typeof to === 'string' && to.includes('@');
}

/** Whether a message is a direct message between two users. */
export function isDirectMessage(message: Addressed): boolean {
  return isUserAddress(message.to) || message.fromUser !== undefined;
}

/**
 * The conversation a message belongs to, for a client on node `selfNode` logged in as `me` (an address, or
 * undefined): a direct message's key is the other user's address (so every conversation with one user is one,
 * whichever side wrote); a broadcast's is `*`; a node message's is the other node's id. Addresses contain `@`
 * and node ids never do, so the three kinds of key cannot collide.
 */
export function conversationKey(message: Addressed, selfNode: string | undefined, me?: string): string {
  if (isDirectMessage(message)) {
    const other = message.fromUser === me ? message.to : message.fromUser;
    return other ?? message.to ?? '';
  }
  if (message.to === EVERYONE) return EVERYONE;
  const from = message.from ?? '';
  if (from === selfNode) return message.to || from;
  return from;
}
