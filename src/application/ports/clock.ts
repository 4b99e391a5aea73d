/**
 * Time for use cases, so tests can run on a fake clock. `now` is milliseconds since the epoch. `sleep`
 * resolves after `ms` and never rejects; it must not keep the process alive on its own.
 */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}
