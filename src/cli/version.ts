import { readFileSync } from 'node:fs';

export const VERSION_USAGE = `Usage: meshchat version (also meshchat --version)

Prints the version of meshchat that runs, as its package.json says.`;

/**
 * The version in the package's own package.json, read at run time: this file is two levels below the package
 * root both as src/cli/version.ts and as dist/cli/version.js, so the number printed is the installed one.
 */
export function packageVersion(root: URL = new URL('../../', import.meta.url)): string {
  const file = new URL('package.json', root);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new Error(`cannot read ${file.pathname}${typeof code === 'string' ? ` (${code})` : ''}`);
  }
  let version: unknown;
  try {
    version = (JSON.parse(text) as { version?: unknown } | null)?.version;
  } catch {
    throw new Error(`${file.pathname} is not JSON`);
  }
  if (typeof version !== 'string' || version.trim() === '')
    throw new Error(`${file.pathname} has no version`);
  return version;
}

/** `meshchat version` / `--version`: the version on stdout, exit 0; a broken installation is one line, exit 1. */
export function runVersion(
  args: readonly string[],
  io: { readonly stdout: NodeJS.WritableStream; readonly stderr: NodeJS.WritableStream },
): number {
  if (args.length === 1 && (args[0] === '--help' || args[0] === '-h')) {
    io.stdout.write(`${VERSION_USAGE}\n`);
    return 0;
  }
  if (args.length > 0) {
    io.stderr.write(`meshchat version: takes no arguments (got '${args[0]}')\n`);
    return 2;
  }
  try {
    io.stdout.write(`meshchat ${packageVersion()}\n`);
    return 0;
  } catch (error) {
    io.stderr.write(`meshchat version: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
