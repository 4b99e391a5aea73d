import { parseArgs } from 'node:util';
import { canonicalAccountName } from '../../domain/account.js';
import { parseHttpUrlFlag, requireFlag, USAGE_EXIT_CODE, UsageError, usageErrorFrom } from '../args.js';
import { type ChatIo, safeWrite } from '../chat/chat-io.js';
import { PASSWORD_ENV, PasswordUnavailable, readPassword } from '../login.js';
import { AccountCallFailed, registerUser } from './node-accounts.js';

export const REGISTER_USAGE = `Usage: meshchat register --node <url> --name <name>

Creates an account on the node at <url> (its home node): you are then <name>@<node id>.
The password is asked without echo on a terminal, or read from ${PASSWORD_ENV} (for scripts).

Options:
  --node <url>   the home node (http:// or https:// URL), required
  --name <name>  1 to 32 letters, digits, '.', '_' or '-', starting with a letter or digit, required
  -h, --help     show this help
`;

/** `meshchat register`: 0 when the account was made, 1 when the node refused (one line why), 2 for bad flags. */
export async function runRegister(argv: string[], io: ChatIo, env: NodeJS.ProcessEnv): Promise<number> {
  let node: URL;
  let name: string;
  try {
    const { values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: { node: { type: 'string' }, name: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
    if (values.help) {
      safeWrite(io.stdout, REGISTER_USAGE);
      return 0;
    }
    node = parseHttpUrlFlag('--node', requireFlag(values.node, '--node', 'url'));
    name = parseAccountNameFlag('--name', requireFlag(values.name, '--name', 'name'));
  } catch (err) {
    safeWrite(io.stderr, `meshchat register: ${usageErrorFrom(err).message}\n`);
    return USAGE_EXIT_CODE;
  }
  try {
    const password = await readPassword(io, env, `password for ${name}: `);
    const user = await registerUser(node, name, password);
    safeWrite(io.stdout, `registered ${user}\n`);
    return 0;
  } catch (err) {
    if (!(err instanceof AccountCallFailed || err instanceof PasswordUnavailable)) throw err;
    safeWrite(io.stderr, `meshchat register: ${err.message}\n`);
    return 1;
  }
}

/** An account name flag (`--name`, `--login`): checked by the account rules before any call. */
export function parseAccountNameFlag(flag: string, value: string): string {
  const name = canonicalAccountName(value);
  // A user's address (`alice@node-a`, as the node prints it) where the name alone goes: say so.
  const bare = value.includes('@') ? canonicalAccountName(value.slice(0, value.lastIndexOf('@'))) : undefined;
  if (bare !== undefined)
    throw new UsageError(
      `${flag} takes the account name alone, without @node (the node is --node's): ${flag} ${bare}`,
    );
  if (name === undefined) {
    throw new UsageError(
      `${flag} must be an account name: 1 to 32 letters, digits, '.', '_' or '-', starting with a letter or digit`,
    );
  }
  return name;
}
