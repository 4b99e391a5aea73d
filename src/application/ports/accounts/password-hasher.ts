/**
 * Turns passwords into slow salted hashes and checks them.
 *
 * - `hash` resolves with a self-describing string (algorithm, cost parameters, salt, hash) so that the cost can
 *   be raised later and old hashes still verify. Two hashes of one password differ (a fresh random salt).
 * - `verify` resolves true only when `password` is the one `encoded` was made from. It resolves false, never
 *   rejects, for a wrong password and for an `encoded` it cannot read (another algorithm, corrupted); its time
 *   does not depend on how much of the hash matched.
 * - Both take tens of milliseconds on purpose and do not block the event loop. Callers bound the password's
 *   size first (`PASSWORD_MAX_BYTES`).
 */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(password: string, encoded: string): Promise<boolean>;
}
