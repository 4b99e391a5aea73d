/** An opaque timer handle. */
export type TimerHandle = unknown;

/** The time and timers the client runs on: the real ones by default, a fake clock in tests. */
export interface Timers {
  now(): number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

interface HostTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * The host's timers (Node or a browser); found on `globalThis` because the client core is compiled without
 * either platform's type definitions. A Node timer is unref'd: a pending retry never keeps a process alive.
 */
export function systemTimers(): Timers {
  const host = globalThis as unknown as HostTimers;
  return {
    now: () => Date.now(),
    setTimeout: (callback, ms) => {
      const handle = host.setTimeout(callback, ms) as { unref?: () => void };
      handle.unref?.();
      return handle;
    },
    clearTimeout: (handle) => host.clearTimeout(handle),
  };
}
