import { describe, expect, it } from 'vitest';
import {
  assertAccountName,
  assertNewPassword,
  canonicalAccountName,
  formatUserAddress,
  parseUserAddress,
} from '../../src/domain/account.js';
import { InvalidInput } from '../../src/domain/errors.js';

const codeOf = (f: () => unknown) => {
  try {
    f();
  } catch (error) {
    return error instanceof InvalidInput ? error.code : `not InvalidInput: ${String(error)}`;
  }
  return 'no error';
};

describe('account rules', () => {
  it('accepts 1 to 32 characters of [a-z0-9._-] starting with a letter or digit, case-insensitively', () => {
    expect(assertAccountName('Alice')).toBe('alice');
    expect(assertAccountName('a')).toBe('a');
    expect(assertAccountName('b.o_b-9')).toBe('b.o_b-9');
    expect(assertAccountName('x'.repeat(32))).toBe('x'.repeat(32));
  });

  it.each<[unknown, string]>([
    ['', 'empty'],
    ['x'.repeat(33), 'too long'],
    ['.alice', 'leading dot'],
    ['-a', 'leading dash'],
    ['al ice', 'space'],
    ['alice@a', 'at sign'],
    ['\u212Aelvin', 'Kelvin sign, which lower-cases to k'],
    ['élise', 'non-ASCII'],
    [42, 'not a string'],
  ])('refuses %j (%s) with invalid_name', (name) => {
    expect(codeOf(() => assertAccountName(name))).toBe('invalid_name');
    expect(canonicalAccountName(name)).toBeUndefined();
  });

  it('requires a password of 8 characters and at most 1024 bytes', () => {
    expect(assertNewPassword('12345678')).toBe('12345678');
    expect(assertNewPassword('ü'.repeat(512))).toHaveLength(512);
    expect(codeOf(() => assertNewPassword('1234567'))).toBe('weak_password');
    // Eight characters of which some are astral: still eight characters.
    expect(assertNewPassword('😀😀😀😀abcd')).toBe('😀😀😀😀abcd');
    expect(codeOf(() => assertNewPassword('😀😀😀'))).toBe('weak_password');
    expect(codeOf(() => assertNewPassword('ü'.repeat(513)))).toBe('invalid_password');
    expect(codeOf(() => assertNewPassword('x'.repeat(1025)))).toBe('invalid_password');
    expect(codeOf(() => assertNewPassword(undefined))).toBe('invalid_password');
  });

  it('parses and formats name@node addresses', () => {
    expect(parseUserAddress('Bob@node-B')).toEqual({ name: 'bob', node: 'node-B' });
    expect(formatUserAddress({ name: 'bob', node: 'node-B' })).toBe('bob@node-B');
    for (const bad of ['bob', '@node', 'bob@', 'bob@bad node', 'b b@n', 'bob@n@m', null]) {
      expect(codeOf(() => parseUserAddress(bad))).toBe('invalid_address');
    }
  });
});
