/** Reconnect timing: the delay doubles from `baseMs` up to `maxMs`, jittered by ±25 %. */
export interface Backoff {
  readonly baseMs: number;
  readonly maxMs: number;
}

/**
 * The cap is low on purpose: the node is usually one the user runs or a tunnel to it, and a node that comes
 * back must be found within a few seconds, not after a long back-off. A connection attempt is cheap.
 */
export const DEFAULT_BACKOFF: Backoff = { baseMs: 500, maxMs: 2_000 };

/** The wait before attempt `failures + 1`; `random` returns a number in [0, 1). */
export function reconnectDelay(failures: number, backoff: Backoff, random: () => number): number {
  const ceiling = Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.max(0, Math.min(failures - 1, 30)));
  return Math.max(0, Math.round(ceiling * (0.75 + random() * 0.5)));
}
