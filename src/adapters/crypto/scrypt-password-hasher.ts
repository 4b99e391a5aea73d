import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { PasswordHasher } from '../../application/ports/accounts/password-hasher.js';

/** scrypt's cost parameters: `N` (CPU and memory, a power of two), `r` (block size), `p` (parallelism). */
export interface ScryptCost {
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

/**
 * N = 2^14, r = 8, p = 1: 16 MiB of memory and about 50 ms per hash on the 2-core machine this was sized on
 * (72 ms there under load; docs/accounts.md). Raise it here; stored hashes keep their own parameters and still
 * verify.
 */
export const DEFAULT_SCRYPT_COST: ScryptCost = { N: 2 ** 14, r: 8, p: 1 };

const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Refuses stored parameters that would make one verification take seconds or gigabytes (a tampered row). */
const MAX_N = 2 ** 20;
const ENCODED = /^scrypt\$N=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/;

const derive = (password: string, salt: Buffer, cost: ScryptCost, length: number) =>
  new Promise<Buffer>((resolve, reject) =>
    scrypt(
      password.normalize('NFC'),
      salt,
      length,
      { ...cost, maxmem: 256 * cost.N * cost.r + 1024 * 1024 },
      (error, key) => (error ? reject(error) : resolve(key)),
    ),
  );

/**
 * `PasswordHasher` with node:crypto's scrypt, run on libuv's thread pool (the event loop keeps going). A hash is
 * `scrypt$N=16384,r=8,p=1$<salt>$<key>` (base64url), so each one carries its cost. Passwords are NFC-normalised
 * first, so the same password typed on two systems matches.
 */
export class ScryptPasswordHasher implements PasswordHasher {
  constructor(private readonly cost: ScryptCost = DEFAULT_SCRYPT_COST) {}

  async hash(password: string): Promise<string> {
    const salt = randomBytes(SALT_BYTES);
    const key = await derive(password, salt, this.cost, KEY_BYTES);
    const { N, r, p } = this.cost;
    return `scrypt$N=${N},r=${r},p=${p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
  }

  async verify(password: string, encoded: string): Promise<boolean> {
    const match = ENCODED.exec(encoded);
    if (!match) return false;
    const [N, r, p] = [Number(match[1]), Number(match[2]), Number(match[3])];
    const salt = Buffer.from(match[4] as string, 'base64url');
    const expected = Buffer.from(match[5] as string, 'base64url');
    if (
      N < 2 ||
      N > MAX_N ||
      (N & (N - 1)) !== 0 ||
      r < 1 ||
      r > 32 ||
      p < 1 ||
      p > 16 ||
      expected.length < 16
    ) {
      return false;
    }
    try {
      const actual = await derive(password, salt, { N, r, p }, expected.length);
      return timingSafeEqual(actual, expected);
    } catch {
      return false;
    }
  }
}
