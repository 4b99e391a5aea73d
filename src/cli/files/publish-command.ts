// `meshchat publish FILE [--description TEXT] --node URL --login NAME`

import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { InvalidInput } from '../../domain/errors.js';
import { checkFileName, FILE_NAME_MAX_BYTES } from '../../domain/file-record.js';
import { parseAccountNameFlag } from '../account/register.js';
import { parseHttpUrlFlag, requireFlag, UsageError } from '../args.js';
import { notMeshchat } from '../fetch-failure.js';
import { logInWithPassword, PASSWORD_ENV, type PasswordIo } from '../login.js';
import { NodeCallFailed, nodeAnswer } from './node-call.js';
import { argsOrExit, loggedInFailureExit, parseOneFileArgs } from './one-file-args.js';
import { formatBytes, type ProgressOut } from './progress.js';
import { upload } from './upload.js';

/** What a name to publish under must be: the node's rules (`checkFileName`). */
const NAME_RULES = `1 to ${FILE_NAME_MAX_BYTES} bytes of UTF-8, no control characters, no "/" or "\\", not "." or ".."`;

export const PUBLISH_USAGE = `Usage: meshchat publish FILE [--description TEXT] [--name NAME] --node URL --login NAME

Publishes FILE on the node as the user NAME (its home node). The password is read from ${PASSWORD_ENV},
or typed at a prompt that does not echo (on a terminal only).

  --node URL          the user's home node, required
  --login NAME        the user publishing, required
  --description TEXT  what the file is, found by searches
  --name NAME         the name to publish it under (default: the file's own name):
                      ${NAME_RULES}
  -h, --help          show this help`;

export interface PublishIo extends PasswordIo {
  /** Where `MESHCHAT_PASSWORD` is read. */
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: ProgressOut;
  readonly stderr: ProgressOut & NodeJS.WritableStream;
}

interface PublishArgs {
  file: string;
  node: URL;
  user: string;
  name: string;
  description?: string;
}

const OPTIONS = {
  node: { type: 'string' },
  login: { type: 'string' },
  description: { type: 'string' },
  name: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function parsePublishArgs(argv: readonly string[]): PublishArgs | 'help' {
  const args = parseOneFileArgs(
    argv,
    OPTIONS,
    'give exactly one file: meshchat publish FILE --node URL --login NAME',
  );
  if (args === 'help') return 'help';
  const { values, file } = args;
  const name = publishedName(values.name, file);
  return {
    file,
    node: parseHttpUrlFlag('--node', requireFlag(values.node, '--node', 'url')),
    user: parseAccountNameFlag('--login', requireFlag(values.login, '--login', 'name')),
    name,
    ...(values.description === undefined ? {} : { description: values.description }),
  };
}

/**
 * The name to publish under, checked by the node's own rules before anything is sent: a name the node would
 * refuse is a bad flag (or, when it is the file's own name, a bad file). The name itself is not echoed: it may
 * hold control characters.
 */
function publishedName(flag: string | undefined, file: string): string {
  if (flag !== undefined && flag.trim() === '')
    throw new UsageError("--name must not be empty (leave it out to use the file's own name)");
  const name = flag ?? basename(file);
  try {
    checkFileName(name);
  } catch (error) {
    if (!(error instanceof InvalidInput)) throw error;
    const why = error.message.charAt(0).toLowerCase() + error.message.slice(1).replace(/\.$/, '');
    throw new UsageError(
      flag === undefined
        ? `the file's own name cannot be published (${why}): give one with --name, ${NAME_RULES}`
        : `--name must be ${NAME_RULES} (${why})`,
    );
  }
  return name;
}

/**
 * Exit 0 when published; 1 when no password could be had, the login or the node refused, or the node could not
 * be reached; 2 for a bad flag or file.
 */
export async function runPublish(argv: readonly string[], io: PublishIo): Promise<number> {
  const parsed = argsOrExit('publish', PUBLISH_USAGE, io, () => {
    const args = parsePublishArgs(argv);
    if (args === 'help') return args;
    const stat = statSync(args.file, { throwIfNoEntry: false });
    if (stat === undefined) throw new UsageError(`${args.file}: no such file`);
    if (!stat.isFile())
      throw new UsageError(`${args.file} is ${stat.isDirectory() ? 'a directory' : 'not a regular file'}`);
    return { ...args, size: stat.size };
  });
  if ('exit' in parsed) return parsed.exit;
  const { args } = parsed;
  const { size } = args;
  try {
    const health = await nodeAnswer<{ files?: { maxFileSize?: number } }>(
      new URL('/healthz', args.node),
    ).catch(() => undefined);
    const max = health?.files?.maxFileSize;
    if (typeof max === 'number' && size > max) {
      // Rounded, a file just over the limit reads as the limit itself ("8.0 MiB; at most 8.0 MiB"): say bytes.
      const [is, most] =
        formatBytes(size) === formatBytes(max)
          ? [`${size} bytes`, `${max} bytes`]
          : [formatBytes(size), formatBytes(max)];
      throw new NodeCallFailed(`${args.file} is ${is}; the node takes files of at most ${most}`);
    }
    const { token } = await logInWithPassword(args.node, args.user, io, io.env);
    const url = new URL('/files', args.node);
    url.searchParams.set('name', args.name);
    if (args.description !== undefined) url.searchParams.set('description', args.description);
    const answer = await upload(url, args.file, size, token);
    const body = answer.body as {
      file?: { id: string; name: string };
      error?: { message?: string; code?: string };
    };
    if (answer.status !== 201 || !body?.file) {
      const why = body?.error?.message
        ? `${body.error.message} (${body.error.code})`
        : notMeshchat(url.origin, 'POST /files', `${answer.status}`);
      throw new NodeCallFailed(why);
    }
    io.stdout.write(`published ${body.file.name} (${formatBytes(size)}) as ${body.file.id}\n`);
    return 0;
  } catch (error) {
    const exit = loggedInFailureExit('publish', error, io);
    if (exit === undefined) throw error;
    return exit;
  }
}
