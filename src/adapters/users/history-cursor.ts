/**
 * The history cursor a user reconnects with (`since`, from socket.io's handshake `auth` or a query string):
 * a non-negative integer, as a number or in decimal. Anything else means "no cursor": the user gets the
 * whole kept history, which is always safe (clients de-duplicate by message id).
 */
export function historyCursor(value: unknown): number | undefined {
  const n = typeof value === 'string' && /^\d{1,16}$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/** Most bytes of history sent in one `history` event: a client that reconnects in a loop cannot make it huge. */
export const MAX_HISTORY_BYTES = 4 * 1024 * 1024;

/**
 * The newest entries that fit in `maxBytes` of JSON, in their order. A client missing older ones still has
 * them by id from before, or can live without them: history is a convenience, the outbox is the guarantee.
 */
export function boundedHistory<T>(entries: readonly T[], maxBytes = MAX_HISTORY_BYTES): T[] {
  let bytes = 0;
  let first = entries.length;
  while (first > 0) {
    bytes += Buffer.byteLength(JSON.stringify(entries[first - 1]));
    if (bytes > maxBytes) break;
    first--;
  }
  return entries.slice(first);
}
