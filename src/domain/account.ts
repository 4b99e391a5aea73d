import { InvalidInput } from './errors.js';
import { utf8Length } from './message.js';
import { isValidNodeId } from './node-record.js';

export const ACCOUNT_NAME_MAX_LENGTH = 32;
export const PASSWORD_MIN_LENGTH = 8;
/** An upper bound so that no client can make the node hash megabytes (scrypt reads the whole input). */
export const PASSWORD_MAX_BYTES = 1024;
// Tested before lower-casing, so that no non-ASCII letter can lower-case into an ASCII one (the Kelvin sign).
const ACCOUNT_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** A user as the mesh addresses it: `name@node`, `node` being the user's home node. */
export interface UserAddress {
  readonly name: string;
  readonly node: string;
}

/** The lower-case form of `name` when it is a valid account name, else `undefined`. Names are case-insensitive. */
export function canonicalAccountName(name: unknown): string | undefined {
  if (typeof name !== 'string' || name.length === 0 || name.length > ACCOUNT_NAME_MAX_LENGTH)
    return undefined;
  return ACCOUNT_NAME_PATTERN.test(name) ? name.toLowerCase() : undefined;
}

/** Checks an account name and returns it lower-case; throws `InvalidInput` with code `invalid_name`. */
export function assertAccountName(name: unknown): string {
  const canonical = canonicalAccountName(name);
  if (canonical === undefined) {
    throw new InvalidInput(
      'invalid_name',
      `A user name is 1 to ${ACCOUNT_NAME_MAX_LENGTH} characters of letters, digits, ".", "_" or "-", starting with a letter or digit.`,
    );
  }
  return canonical;
}

/**
 * Checks a new password: a string of at least `PASSWORD_MIN_LENGTH` characters (`weak_password`) and at most
 * `PASSWORD_MAX_BYTES` bytes of UTF-8 (`invalid_password`).
 */
export function assertNewPassword(password: unknown): string {
  if (typeof password !== 'string') {
    throw new InvalidInput('invalid_password', 'The password must be a string.');
  }
  if (!isPasswordWithinBounds(password)) {
    throw new InvalidInput(
      'invalid_password',
      `The password must be at most ${PASSWORD_MAX_BYTES} bytes (UTF-8).`,
    );
  }
  if ([...password].length < PASSWORD_MIN_LENGTH) {
    throw new InvalidInput(
      'weak_password',
      `The password must be at least ${PASSWORD_MIN_LENGTH} characters.`,
    );
  }
  return password;
}

/** Whether `password` is a string short enough to be hashed (any length check beyond that is for new ones). */
export function isPasswordWithinBounds(password: unknown): password is string {
  return (
    typeof password === 'string' &&
    password.length <= PASSWORD_MAX_BYTES &&
    utf8Length(password) <= PASSWORD_MAX_BYTES
  );
}

export function formatUserAddress(address: UserAddress): string {
  return `${address.name}@${address.node}`;
}

/**
 * Parses `name@node` (the name case-insensitive, returned lower-case; the node a node id); throws
 * `InvalidInput` with code `invalid_address`.
 */
export function parseUserAddress(text: unknown): UserAddress {
  const at = typeof text === 'string' ? text.lastIndexOf('@') : -1;
  const name = at > 0 ? canonicalAccountName((text as string).slice(0, at)) : undefined;
  const node = at > 0 ? (text as string).slice(at + 1) : '';
  if (name === undefined || !isValidNodeId(node)) {
    throw new InvalidInput(
      'invalid_address',
      'A user address is name@node: a user name (1 to 32 of a-z, 0-9, ".", "_", "-") and a node id.',
    );
  }
  return { name, node };
}
