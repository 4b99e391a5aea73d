import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { CryptoSessionTokens } from '../../src/adapters/crypto/crypto-session-tokens.js';
import {
  DEFAULT_SCRYPT_COST,
  ScryptPasswordHasher,
} from '../../src/adapters/crypto/scrypt-password-hasher.js';
import { PinoAuditTrail } from '../../src/adapters/log/pino-audit-trail.js';
import { openDatabase } from '../../src/adapters/storage/open-database.js';
import { SqliteAccountStore } from '../../src/adapters/storage/sqlite-account-store.js';
import { readAuditTrail, SqliteAuditTrail } from '../../src/adapters/storage/sqlite-audit-trail.js';
import type { AuditRecord } from '../../src/application/ports/accounts/audit-trail.js';
import { accountsOnFakes } from '../support/accounts.js';

/** Cheap enough for tests; the default cost is measured in docs/accounts.md. */
const CHEAP = { N: 2 ** 4, r: 8, p: 1 };

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshchat-accounts-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('ScryptPasswordHasher', () => {
  const hasher = new ScryptPasswordHasher(CHEAP);

  it('salts every hash, keeps its parameters in it, and verifies only the right password', async () => {
    const one = await hasher.hash('correct horse');
    const two = await hasher.hash('correct horse');
    expect(one).toMatch(/^scrypt\$N=16,r=8,p=1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(one).not.toBe(two);
    expect(await hasher.verify('correct horse', one)).toBe(true);
    expect(await hasher.verify('correct horsf', one)).toBe(false);
    expect(await hasher.verify('', one)).toBe(false);
  });

  it('verifies a hash made with other parameters (the cost can be raised later)', async () => {
    const old = await new ScryptPasswordHasher({ N: 2 ** 5, r: 4, p: 2 }).hash('pässword');
    expect(await hasher.verify('pässword', old)).toBe(true);
    // NFC and NFD spellings of one password match.
    expect(await hasher.verify('pa\u0308ssword', old)).toBe(true);
  });

  it('answers false, never throws, for hashes it cannot read or that ask for absurd costs', async () => {
    const good = await hasher.hash('correct horse');
    const salt = good.split('$')[2];
    const key = good.split('$')[3];
    for (const bad of [
      '',
      'bcrypt$2b$10$abc',
      good.replace('N=16', 'N=15'),
      good.replace('N=16', 'N=4194304'),
      good.replace('r=8', 'r=0'),
      `scrypt$N=16,r=8,p=1$${salt}$${key?.slice(0, 10)}`,
      `scrypt$N=16,r=8,p=1$${salt}$***`,
    ]) {
      expect(await hasher.verify('correct horse', bad)).toBe(false);
    }
  });

  it('has a default cost of N=2^14, r=8, p=1', () => {
    expect(DEFAULT_SCRYPT_COST).toEqual({ N: 16_384, r: 8, p: 1 });
  });
});

describe('CryptoSessionTokens', () => {
  it('issues distinct URL-safe tokens of 256 bits and hashes them with SHA-256', () => {
    const tokens = new CryptoSessionTokens();
    const issued = new Set(Array.from({ length: 100 }, () => tokens.issue()));
    expect(issued.size).toBe(100);
    for (const token of issued) expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    expect(tokens.hash('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});

describe('the use cases on the real adapters', () => {
  it('register, login and authenticate survive a reopen of the database', async () => {
    const dir = tempDir();
    const real = () => ({
      store: new SqliteAccountStore(openDatabase(dir)),
      hasher: new ScryptPasswordHasher(CHEAP),
      tokens: new CryptoSessionTokens(),
    });
    const first = accountsOnFakes(real());
    await first.register.execute({ name: 'alice', password: 'correct horse' });
    const { token } = await first.login.execute({ name: 'alice', password: 'correct horse' });
    first.store.close();
    const again = accountsOnFakes(real());
    expect(again.authenticate.execute(token).user).toBe('alice@node-a');
    await expect(again.login.execute({ name: 'alice', password: 'correct horse' })).resolves.toBeDefined();
    await expect(again.register.execute({ name: 'ALICE', password: 'correct horse' })).rejects.toMatchObject({
      code: 'name_taken',
    });
    again.store.close();
  });
});

const record = (at: string, user: string, op: AuditRecord['op'] = 'login'): AuditRecord => ({
  at,
  node: 'node-a',
  user,
  op,
  object: 'client 10.0.0.1',
  outcome: 'ok',
});

describe('SqliteAuditTrail', () => {
  it('keeps records in order across a reopen, and reads them by time and user', () => {
    const dir = tempDir();
    const trail = new SqliteAuditTrail(openDatabase(dir));
    trail.record(record('2026-01-01T00:00:00.000Z', 'alice', 'register'));
    trail.record(record('2026-01-02T00:00:00.000Z', 'bob'));
    trail.record(record('2026-01-03T00:00:00.000Z', 'alice', 'logout'));
    const db = openDatabase(dir);
    expect(readAuditTrail(db).map((r) => r.op)).toEqual(['register', 'login', 'logout']);
    expect(readAuditTrail(db, { since: '2026-01-02T00:00:00.000Z' }).map((r) => r.user)).toEqual([
      'bob',
      'alice',
    ]);
    expect(readAuditTrail(db, { user: 'alice' })).toEqual([
      record('2026-01-01T00:00:00.000Z', 'alice', 'register'),
      record('2026-01-03T00:00:00.000Z', 'alice', 'logout'),
    ]);
    expect(readAuditTrail(db, { user: 'alice', node: 'node-b' })).toEqual([]);
    db.close();
  });

  it('reads nothing from a database that never had a trail, and a failed write goes to onError', () => {
    const db = openDatabase(tempDir());
    expect(readAuditTrail(db)).toEqual([]);
    const errors: unknown[] = [];
    const trail = new SqliteAuditTrail(db, { onError: (error) => errors.push(error) });
    db.close();
    expect(() => trail.record(record('2026-01-01T00:00:00.000Z', 'alice'))).not.toThrow();
    expect(String(errors[0])).toMatch(/not open/);
  });
});

describe('PinoAuditTrail', () => {
  it('writes one audit line per record with every field', () => {
    const lines: Record<string, unknown>[] = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    new PinoAuditTrail(pino({ level: 'info' }, stream)).record(record('2026-01-01T00:00:00.000Z', 'alice'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      audit: true,
      event: 'account',
      ...record('2026-01-01T00:00:00.000Z', 'alice'),
      msg: 'login by alice on client 10.0.0.1: ok',
    });
  });
});
