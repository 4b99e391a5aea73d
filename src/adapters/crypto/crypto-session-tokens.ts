import { createHash, randomBytes } from 'node:crypto';
import type { SessionTokens } from '../../application/ports/accounts/session-tokens.js';

/** 256 random bits: well above the 128 the contract asks, at no cost. */
const TOKEN_BYTES = 32;

/** `SessionTokens` from node:crypto: base64url tokens of 32 random bytes, hashed with SHA-256 (lower-case hex). */
export class CryptoSessionTokens implements SessionTokens {
  issue(): string {
    return randomBytes(TOKEN_BYTES).toString('base64url');
  }

  hash(token: string): string {
    return createHash('sha256').update(token, 'utf8').digest('hex');
  }
}
