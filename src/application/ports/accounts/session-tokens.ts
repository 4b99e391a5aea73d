/**
 * Makes login tokens. A token is handed to the client once; the node keeps only its hash.
 *
 * - `issue` returns a fresh token of at least 128 random bits from a cryptographic source, as URL-safe text
 *   (fits an `Authorization: Bearer` header). Never the same value twice.
 * - `hash` is deterministic and one-way (SHA-256 or stronger): the same token always gives the same hash, and
 *   the hash does not give the token back. Fast; safe to call on untrusted input of any length the caller allows.
 */
export interface SessionTokens {
  issue(): string;
  hash(token: string): string;
}
