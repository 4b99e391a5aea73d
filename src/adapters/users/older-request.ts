/** What a user front end answers a request for older history that it cannot read. */
export const INVALID_HISTORY_REQUEST = {
  code: 'invalid_history_request',
  message:
    'Ask for older history with {before: "<id of the oldest message you have>", limit?: <whole number from 1>}.',
} as const;

/**
 * A request for the page of history before a message (socket.io `older`, `/ws` frame `older`): `before` a
 * message id (1 to 128 characters), `limit` an optional whole number from 1 (capped by the node). Undefined when
 * it is neither.
 */
export function olderRequest(value: unknown): { before: string; limit?: number } | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const { before, limit } = value as { before?: unknown; limit?: unknown };
  if (typeof before !== 'string' || before.length === 0 || before.length > 128) return undefined;
  if (limit === undefined || limit === null) return { before };
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 1) return undefined;
  return { before, limit };
}
