/**
 * Nearest-rank percentile of an ascending array (q from 0 to 1); undefined when empty.
 * @param {ArrayLike<number>} sorted
 * @param {number} q
 */
export function percentile(sorted, q) {
  if (sorted.length === 0) return undefined;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1];
}

/**
 * @typedef {object} Summary
 * @property {number} count
 * @property {number} [min]
 * @property {number} [mean]
 * @property {number} [p50]
 * @property {number} [p90]
 * @property {number} [p99]
 * @property {number} [max]
 */

/**
 * count, min, mean, p50, p90, p99, max of a list of durations in ms (rounded to µs).
 * @param {Iterable<number>} values
 * @returns {Summary}
 */
export function summarize(values) {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  if (n === 0) return { count: 0 };
  let sum = 0;
  for (const v of sorted) sum += v;
  /** @param {number | undefined} v */
  const r = (v) => (v === undefined ? undefined : Math.round(v * 1000) / 1000);
  return {
    count: n,
    min: r(sorted[0]),
    mean: r(sum / n),
    p50: r(percentile(sorted, 0.5)),
    p90: r(percentile(sorted, 0.9)),
    p99: r(percentile(sorted, 0.99)),
    max: r(sorted[n - 1]),
  };
}

/**
 * a / b rounded to 3 decimals, or null when either is missing or b is 0.
 * @param {unknown} a
 * @param {unknown} b
 */
export function ratio(a, b) {
  if (
    typeof a !== 'number' ||
    typeof b !== 'number' ||
    !Number.isFinite(a) ||
    !Number.isFinite(b) ||
    b === 0
  ) {
    return null;
  }
  return Math.round((a / b) * 1000) / 1000;
}

/**
 * Median of a list of numbers (mean of the middle two for an even count); undefined when empty.
 * @param {readonly number[]} values
 */
export function median(values) {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const at = (/** @type {number} */ i) => /** @type {number} */ (sorted[i]);
  const value = sorted.length % 2 ? at(mid) : (at(mid - 1) + at(mid)) / 2;
  return Math.round(value * 1000) / 1000;
}
