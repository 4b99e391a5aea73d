import type { SessionTokens } from '../../src/application/ports/accounts/session-tokens.js';

/** `SessionTokens` that hands out `token-1`, `token-2`, ... and hashes by a readable wrapping. */
export class SequentialSessionTokens implements SessionTokens {
  #next = 1;

  issue(): string {
    return `token-${this.#next++}`;
  }

  hash(token: string): string {
    return `hash(${token})`;
  }
}
