import type { Clock } from '../ports/clock.js';

export interface LoginThrottleSettings {
  /** Failures within `windowMs` after which one more attempt for the same name is refused. */
  readonly maxFailuresPerName: number;
  /** Failures within `windowMs` after which one more attempt from the same client address is refused. */
  readonly maxFailuresPerClient: number;
  readonly windowMs: number;
  /** Names and addresses tracked at once; past it the least recently failed key is forgotten (bounded memory). */
  readonly maxKeys: number;
}

export const DEFAULT_LOGIN_THROTTLE: LoginThrottleSettings = {
  maxFailuresPerName: 5,
  maxFailuresPerClient: 20,
  windowMs: 15 * 60_000,
  maxKeys: 10_000,
};

/**
 * Slows password guessing: counts failed logins per account name and per client address in a sliding window.
 * Once a key has its limit of failures in the window, attempts are refused (without hashing) until the oldest
 * of those failures leaves the window. A successful login clears its name's failures, not its address's, so
 * one account an attacker owns does not reset the address limit.
 */
export class LoginThrottle {
  readonly #settings: LoginThrottleSettings;
  /** Failure times per key, oldest first; a Map keeps keys in order of their last failure. */
  readonly #failures = new Map<string, number[]>();

  constructor(
    private readonly deps: { clock: Clock },
    settings: Partial<LoginThrottleSettings> = {},
  ) {
    this.#settings = { ...DEFAULT_LOGIN_THROTTLE, ...settings };
  }

  /** Seconds until an attempt for `name` from `client` may be made, or 0 when it may be made now. */
  retryAfterSeconds(name: string, client: string | undefined): number {
    const ms = Math.max(
      this.#waitMs(`name:${name}`, this.#settings.maxFailuresPerName),
      client === undefined ? 0 : this.#waitMs(`client:${client}`, this.#settings.maxFailuresPerClient),
    );
    return Math.ceil(ms / 1000);
  }

  failed(name: string, client: string | undefined): void {
    this.#add(`name:${name}`);
    if (client !== undefined) this.#add(`client:${client}`);
  }

  succeeded(name: string): void {
    this.#failures.delete(`name:${name}`);
  }

  #recent(key: string): number[] {
    const since = this.deps.clock.now() - this.#settings.windowMs;
    const times = (this.#failures.get(key) ?? []).filter((t) => t > since);
    if (times.length === 0) this.#failures.delete(key);
    else this.#failures.set(key, times);
    return times;
  }

  #waitMs(key: string, limit: number): number {
    const times = this.#recent(key);
    if (times.length < limit) return 0;
    const oldestCounted = times[times.length - limit] as number;
    return oldestCounted + this.#settings.windowMs - this.deps.clock.now();
  }

  #add(key: string): void {
    const times = this.#recent(key);
    this.#failures.delete(key);
    // Only the newest `limit` failures can matter; keep no more.
    const keep = Math.max(this.#settings.maxFailuresPerName, this.#settings.maxFailuresPerClient);
    this.#failures.set(key, [...times, this.deps.clock.now()].slice(-keep));
    while (this.#failures.size > this.#settings.maxKeys) {
      const oldest = this.#failures.keys().next().value as string;
      this.#failures.delete(oldest);
    }
  }
}
