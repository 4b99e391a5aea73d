/**
 * Time for use cases, so tests can run on a fake clock. `now` is milliseconds since the epoch. `sleep`
 * resolves after `ms` and never rejects; it must not keep the process alive on its own. It never resolves in the turn it
 * was called in, not even for `ms` 0: whatever the caller does in this turn happens first.
 */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}
