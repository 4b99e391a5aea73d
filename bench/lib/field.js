// Reading untyped data (socket.io events, thrown values): one field at a time, checked where it is used.

/**
 * Field `key` of `data` when that is an object, else undefined.
 * @param {unknown} data
 * @param {string} key
 * @returns {unknown}
 */
export function field(data, key) {
  return typeof data === 'object' && data !== null
    ? /** @type {Record<string, unknown>} */ (data)[key]
    : undefined;
}
