// Small helpers shared by the `meshchat` sub-commands for turning command-line flags into checked values.
// A problem with a flag is reported as a UsageError whose message is ONE line naming the flag; the command
// prints it as `meshchat <command>: <message>` and exits with code 2 (never a stack trace).

import { USER_NAME_MAX_LENGTH } from '../domain/message.js';
import { isValidNodeId } from '../domain/node-record.js';

/** A bad, missing or unusable command-line flag. The message is a single line that names the flag. */
export class UsageError extends Error {
  override name = 'UsageError';
  constructor(message: string) {
    super(oneLine(message));
  }
}

/** Exit code for a usage error (bad flag or unusable value). */
export const USAGE_EXIT_CODE = 2;

/** Collapses whitespace (including newlines) so a message always fits on one line. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * Turns an error thrown by `node:util` parseArgs (strict mode) into a UsageError with a short one-line
 * message that still names the offending flag. Anything else is returned as a UsageError with its message.
 */
export function usageErrorFrom(err: unknown): UsageError {
  if (err instanceof UsageError) return err;
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  const raw = err instanceof Error ? err.message : String(err);
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      // "Unknown option '--foo'. To specify a positional argument starting with a '-', …" → keep the first part.
      const m = /^Unknown option '([^']*)'/.exec(raw);
      return new UsageError(m ? `unknown flag '${m[1]}'` : raw);
    }
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      // "Option '--node <value>' argument missing" / "Option '--json' does not take an argument"
      // "Option '--node' argument is ambiguous.\nDid you forget …" (the value looked like another flag)
      const m =
        /^Option '(?:-[^-' ], )?(-[^' ]*)(?: <value>)?' (argument missing|argument is ambiguous|does not take an argument)/.exec(
          raw,
        );
      if (m?.[2] === 'argument missing') return new UsageError(`flag '${m[1]}' needs a value`);
      if (m?.[2] === 'argument is ambiguous') {
        return new UsageError(
          `flag '${m[1]}' needs a value (for a value starting with '-', write ${m[1]}=-value)`,
        );
      }
      if (m) return new UsageError(`flag '${m[1]}' does not take a value`);
      return new UsageError(raw);
    }
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL': {
      const m = /^Unexpected argument '([^']*)'/.exec(raw);
      return new UsageError(m ? `unexpected argument '${m[1]}' (a flag is written --flag value)` : raw);
    }
    default:
      return new UsageError(raw);
  }
}

/** Requires a flag that parseArgs left undefined. */
export function requireFlag<T>(value: T | undefined, flag: string, placeholder = 'value'): T {
  if (value === undefined) throw new UsageError(`missing required flag ${flag} <${placeholder}>`);
  return value;
}

/**
 * Checks that a flag's value is an absolute http: or https: URL without user-info, at most 2048 characters
 * (the node url rule of the wire contract), and returns it parsed.
 */
export function parseHttpUrlFlag(flag: string, value: string): URL {
  const shown = value.length > 80 ? `${value.slice(0, 77)}...` : value;
  if (value.trim() === '') throw new UsageError(`${flag} must be an http(s) URL, got an empty value`);
  if (value.length > 2048) throw new UsageError(`${flag} is longer than 2048 characters`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(
      `${flag} must be an absolute http(s) URL such as http://127.0.0.1:3000, got '${shown}'`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`${flag} must be an http: or https: URL, got '${shown}'`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new UsageError(`${flag} must not contain a user name or password`);
  }
  return url;
}

/** Checks a flag whose value must be a node id. */
export function parseNodeIdFlag(flag: string, value: string): string {
  if (!isValidNodeId(value)) {
    throw new UsageError(
      `${flag} must be a node id (1 to 64 characters: letters, digits, '.', '_', '-', starting with a letter or digit), got '${value}'`,
    );
  }
  return value;
}

/** Checks a user display name: non-empty, at most `USER_NAME_MAX_LENGTH` characters, no control characters. */
export function parseUserNameFlag(flag: string, value: string): string {
  const name = value.trim();
  if (name === '') throw new UsageError(`${flag} must not be empty`);
  if (name.length > USER_NAME_MAX_LENGTH) {
    throw new UsageError(`${flag} must be at most ${USER_NAME_MAX_LENGTH} characters`);
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (/[\u0000-\u001f\u007f-\u009f]/.test(name))
    throw new UsageError(`${flag} must not contain control characters`);
  return name;
}
