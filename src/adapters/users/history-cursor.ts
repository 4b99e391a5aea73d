import type { HistoryPage } from '../../application/messaging/read-history.js';

/**
 * The history cursor a user reconnects with (`since`, from socket.io's handshake `auth` or a query string):
 * a non-negative integer, as a number or in decimal. Anything else means "no cursor": the user gets the
 * whole kept history, which is always safe (clients de-duplicate by message id).
 */
export function historyCursor(value: unknown): number | undefined {
  const n = typeof value === 'string' && /^\d{1,16}$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/** What a page says besides its messages: whether older ones are kept, and the id to ask before. */
export function pageInfo(page: HistoryPage): { more: boolean; before?: string } {
  return { more: page.more, ...(page.before === undefined ? {} : { before: page.before }) };
}

/** A page as the answer to a request for older history (socket.io ack, `/ws` frame). */
export function olderAnswer(page: HistoryPage): {
  messages: HistoryPage['messages'];
  more: boolean;
  before?: string;
} {
  return { messages: page.messages, ...pageInfo(page) };
}
