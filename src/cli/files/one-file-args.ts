import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError, usageErrorFrom } from '../args.js';

/**
 * Parses the flags of a command that takes exactly one file (`get`, `publish`): strict `options`, `'help'` for
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
