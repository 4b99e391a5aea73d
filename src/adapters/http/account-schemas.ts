import { z } from 'zod';
import { ACCOUNT_NAME_MAX_LENGTH, PASSWORD_MAX_BYTES, PASSWORD_MIN_LENGTH } from '../../domain/account.js';

/**
 * The bodies and answers of the account routes (SPEC section 5). Bodies are read loosely (any JSON object) and
 * their fields checked by the use cases, so a bad name is `invalid_name` and a short password `weak_password`
 * rather than a generic `invalid_body`; the `documented*` schemas state what a client should send.
 */

const accountName = z
  .string()
  .min(1)
  .max(ACCOUNT_NAME_MAX_LENGTH)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/)
  .meta({
    description: 'Letters, digits, ".", "_" or "-", starting with a letter or digit; case-insensitive.',
  });

const password = z.string().meta({ description: `At most ${PASSWORD_MAX_BYTES} bytes of UTF-8.` });

/** `{name, password}`, as read: the use case checks both. */
export const credentialsBody = z.object({ name: z.unknown().optional(), password: z.unknown().optional() });

export const documentedCredentials = z
  .object({ name: accountName, password })
  .meta({ description: 'An account name and its password.' });

/** `{password}` of `DELETE /users/{name}`, as read. */
export const passwordBody = z.object({ password: z.unknown().optional() });

export const documentedPassword = z
  .object({ password })
  .meta({ description: "The account's password, asked again before it is removed." });

/** The `{name}` of `/users/{name}`. */
export const accountNameParam = accountName;

const address = z.string().meta({ description: "The user's address, `name@node`, the name lower-case." });
const isoTime = z.string().meta({ description: 'An ISO-8601 UTC time.' });

export const registeredAnswer = z
  .strictObject({ user: address, createdAt: isoTime })
  .meta({ description: 'The account made.' });

export const sessionAnswer = z
  .strictObject({
    token: z.string().meta({
      description: 'The login token, shown only here: `Authorization: Bearer <token>`, or `auth: {token}`.',
    }),
    user: address,
    expiresAt: isoTime.meta({
      description: 'When the token stops working (ISO-8601 UTC); it is not extended.',
    }),
  })
  .meta({ description: 'A new session.' });

export const accountDoneAnswer = z
  .strictObject({ ok: z.literal(true), user: address })
  .meta({ description: 'Done, for this user.' });

/** The weak-password rule, for the route's text. */
export const PASSWORD_RULE = `at least ${PASSWORD_MIN_LENGTH} characters and at most ${PASSWORD_MAX_BYTES} bytes of UTF-8`;
