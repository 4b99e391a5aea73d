// A run either measured something or failed: then its result is `{ error }` (and maybe more), and is reported.

/** @typedef {{ error: string }} Failed a run that threw, and why */

/**
 * Whether a run ran: its result is no `Failed` (it has no `error`, or an empty one).
 * @template {object} R
 * @param {R} r
 * @returns {r is Exclude<R, Failed>}
 */
export function ran(r) {
  return !('error' in r && r.error);
}
