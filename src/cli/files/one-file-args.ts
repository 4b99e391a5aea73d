import { type ParseArgsConfig, parseArgs } from 'node:util';
import { AccountCallFailed } from '../account/node-accounts.js';
import { USAGE_EXIT_CODE, UsageError, usageErrorFrom } from '../args.js';
import { PasswordUnavailable } from '../login.js';
import { NodeCallFailed } from './node-call.js';

/**
 * Parses the flags of a command that takes exactly one file (`get`, `publish`, `delete`): strict `options`, `'help'` for
 * `--help`, and a `UsageError` (with `usage` as its message when the file count is wrong) for anything else.
 */
export function parseOneFileArgs<
  T extends NonNullable<ParseArgsConfig['options']> & { readonly help: { readonly type: 'boolean' } },
>(
  argv: readonly string[],
  options: T,
  usage: string,
):
  | {
      readonly values: ReturnType<typeof parseArgs<{ options: T; allowPositionals: true }>>['values'];
      readonly file: string;
    }
  | 'help' {
  let parsed: ReturnType<typeof parseArgs<{ options: T; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: [...argv], strict: true, allowPositionals: true, options });
  } catch (error) {
    throw usageErrorFrom(error);
  }
  const { values, positionals } = parsed;
  if ('help' in values && values.help === true) return 'help';
  if (positionals.length !== 1) throw new UsageError(usage);
  return { values, file: positionals[0] as string };
}

/** Where a command writes: all it needs of stdout and stderr is `write`. */
interface CommandIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

/**
 * A command's arguments from `parse`, or its exit code once it has answered: 0 after printing `usage` for
 * `--help`, `USAGE_EXIT_CODE` after one line `meshchat <command>: <what is wrong>` for a bad flag or file.
 */
export function argsOrExit<T>(
  command: string,
  usage: string,
  io: CommandIo,
  parse: () => T | 'help',
): { readonly args: T } | { readonly exit: number } {
  try {
    const parsed = parse();
    if (parsed !== 'help') return { args: parsed };
    io.stdout.write(`${usage}\n`);
    return { exit: 0 };
  } catch (error) {
    io.stderr.write(`meshchat ${command}: ${usageErrorFrom(error).message}\n`);
    return { exit: USAGE_EXIT_CODE };
  }
}

/**
 * The exit code for a failure a logged-in file command reports in one line (1): a node's refusal or an
 * unreachable node as it is, a login that failed or had no password as `login failed: …`. Undefined for
 * anything else (a bug, which the caller rethrows).
 */
export function loggedInFailureExit(command: string, error: unknown, io: CommandIo): number | undefined {
  if (
    !(
      error instanceof NodeCallFailed ||
      error instanceof AccountCallFailed ||
      error instanceof PasswordUnavailable
    )
  )
    return undefined;
  const login = error instanceof NodeCallFailed ? '' : 'login failed: ';
  io.stderr.write(`meshchat ${command}: ${login}${error.message}\n`);
  return 1;
}
