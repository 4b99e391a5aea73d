// `meshchat delete ID|OWNER/NAME --node URL --login NAME`

import { shownFileName } from '../../client/file-names.js';
import { parseAccountNameFlag } from '../account/register.js';
import { parseHttpUrlFlag, requireFlag } from '../args.js';
import { logInWithPassword, PASSWORD_ENV, type PasswordIo } from '../login.js';
import { CONTROL } from '../terminal-text.js';
import { accountNameOf, type FileRef, homeNodeOf, idOf, parseFileRef } from './file-ref.js';
import { NodeCallFailed, nodeAnswer } from './node-call.js';
import { argsOrExit, loggedInFailureExit, parseOneFileArgs } from './one-file-args.js';

export const DELETE_USAGE = `Usage: meshchat delete ID|OWNER/NAME --node URL --login NAME

Deletes a file the user NAME published, on its home node, named by its id or as OWNER/NAME
(alice@node-a/notes.txt). Its record goes at once; other nodes drop it from their catalogs as they catch up.
The password is read from ${PASSWORD_ENV}, or typed at a prompt that does not echo (on a terminal only).

  --node URL          the user's home node (where the file was published), required
  --login NAME        the file's owner, required
  -h, --help          show this help`;

export interface DeleteIo extends PasswordIo {
  /** Where `MESHCHAT_PASSWORD` is read. */
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

interface DeleteArgs {
  readonly node: URL;
  readonly user: string;
  readonly file: FileRef;
}

const OPTIONS = {
  node: { type: 'string' },
  login: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function parseDeleteArgs(argv: readonly string[]): DeleteArgs | 'help' {
  const args = parseOneFileArgs(
    argv,
    OPTIONS,
    'give exactly one file: meshchat delete ID|OWNER/NAME --node URL --login NAME',
  );
  if (args === 'help') return 'help';
  const { values, file } = args;
  return {
    file: parseFileRef(file),
    node: parseHttpUrlFlag('--node', requireFlag(values.node, '--node', 'url')),
    user: parseAccountNameFlag('--login', requireFlag(values.login, '--login', 'name')),
  };
}

/**
 * Exit 0 when deleted; 1 when no password could be had, the login failed, the file is not found or not the
 * user's, or the node could not be reached; 2 for a bad flag.
 */
export async function runDelete(argv: readonly string[], io: DeleteIo): Promise<number> {
  const parsed = argsOrExit('delete', DELETE_USAGE, io, () => parseDeleteArgs(argv));
  if ('exit' in parsed) return parsed.exit;
  const { args } = parsed;
  try {
    const { file, node } = args;
    if ('owner' in file) {
      await assertHomeNode(node, file);
      // Known from the flags alone: say it before a password is asked for.
      const owner = accountNameOf(file.owner);
      if (owner !== args.user)
        throw new NodeCallFailed(
          `${file.owner}/${file.name} is not yours: --login is ${args.user}, and only its owner, ${owner}, can delete it`,
        );
    }
    const { token, user } = await logInWithPassword(args.node, args.user, io, io.env);
    if ('owner' in file && file.owner !== user)
      throw new NodeCallFailed(
        `${file.owner}/${file.name} is not yours: you are logged in as ${user}, and only a file's owner can delete it`,
      );
    const id = 'id' in file ? file.id : await idOf(node, file);
    const deleted = await deleteFile(node, id, token);
    io.stdout.write(`deleted ${deleted.name} (${deleted.id})\n`);
    return 0;
  } catch (error) {
    const exit = loggedInFailureExit('delete', error, io);
    if (exit === undefined) throw error;
    return exit;
  }
}

/**
 * A file named OWNER/NAME is deleted on OWNER's node only; `--node` naming another node would fail at the login
 * ("wrong user name or password": the owner has no account there), so that is said first, before a password
 * is asked. A node that does not say its id (no `/healthz`) is left to the login.
 */
async function assertHomeNode(node: URL, file: { owner: string; name: string }): Promise<void> {
  const home = homeNodeOf(file.owner);
  const health = await nodeAnswer<{ node?: { id?: unknown } }>(new URL('/healthz', node)).catch(
    () => undefined,
  );
  const id = health?.node?.id;
  if (typeof id === 'string' && id !== home)
    throw new NodeCallFailed(
      `${file.owner}/${file.name} was published on node ${home}, and ${node.origin} is node ${id.replace(CONTROL, '?')}: ` +
        `give ${home}'s URL as --node (a file is deleted on the node it was published on)`,
    );
}

/** `DELETE /files/:id` with the owner's token: the record removed, or a `NodeCallFailed` saying why not. */
async function deleteFile(node: URL, id: string, token: string): Promise<{ id: string; name: string }> {
  let body: { file?: { id?: unknown; name?: unknown } } | undefined;
  try {
    body = await nodeAnswer(new URL(`/files/${id}`, node), {
      method: 'DELETE',
      headers: { Authorization: `Bearer ${token}` },
    });
  } catch (error) {
    if (!(error instanceof NodeCallFailed)) throw error;
    if (error.status === 404)
      throw new NodeCallFailed(
        `not found: ${node.origin} has no file ${id} (a file is deleted on the node it was published on)`,
      );
    throw error.status === 403 ? new NodeCallFailed(`not yours: ${error.message}`) : error;
  }
  // The name is the node's word: shown with its control characters as `?`, as `meshchat files` shows it.
  const name =
    typeof body?.file?.name === 'string' ? shownFileName(body.file.name).replace(CONTROL, '?') : id;
  return { id, name };
}
