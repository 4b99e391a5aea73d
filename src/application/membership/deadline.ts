import type { Clock } from '../ports/clock.js';

/**
 * Settles with `work`, or with `undefined` once `ms` have passed on `clock`, whichever comes first. A rejection
 * of `work` also becomes `undefined`: for the membership protocol, a failed call and a late one mean the same.
 */
export async function within<T>(clock: Clock, ms: number, work: Promise<T>): Promise<T | undefined> {
  const failed = work.catch(() => undefined);
  return Promise.race([failed, clock.sleep(ms).then(() => undefined)]);
}

/** Picks up to `count` distinct items at random. */
export function sample<T>(items: readonly T[], count: number, random: () => number): T[] {
  const pool = [...items];
  const picked: T[] = [];
  while (picked.length < count && pool.length > 0) {
    const [item] = pool.splice(Math.floor(random() * pool.length), 1);
    picked.push(item as T);
  }
  return picked;
}
