import type { PasswordHasher } from '../../src/application/ports/accounts/password-hasher.js';

/**
 * `PasswordHasher` without the cost, for use-case tests: a readable, salted encoding, and a count of the
 * verifications, so a test can tell whether a password was checked at all.
 */
export class FakePasswordHasher implements PasswordHasher {
  verifications = 0;
  hashes = 0;

  async hash(password: string): Promise<string> {
    this.hashes++;
    return `fake$${this.hashes}$${password}`;
  }

  async verify(password: string, encoded: string): Promise<boolean> {
    this.verifications++;
    const match = /^fake\$\d+\$(.*)$/s.exec(encoded);
    return match !== null && match[1] === password;
  }
}
