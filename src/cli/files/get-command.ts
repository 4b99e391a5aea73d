// `meshchat get ID --node URL [-o PATH]`

import { parseHttpUrlFlag, requireFlag, USAGE_EXIT_CODE, UsageError, usageErrorFrom } from '../args.js';
import { localFileProblem } from './local-file-error.js';
import { NodeCallFailed, nodeAnswer } from './node-call.js';
import { parseOneFileArgs } from './one-file-args.js';
import type { ProgressOut } from './progress.js';
import { verifiedDownload } from './verified-download.js';

export const GET_USAGE = `Usage: meshchat get ID|OWNER/NAME --node URL [-o PATH]

Downloads a file through the node (which fetches it from another node when it does not hold it), named by its
id or as OWNER/NAME (alice@node-a/notes.txt, looked up in the node's mesh catalog), into PATH (default: the
file's name in the current directory; a directory takes the file's name; never an existing file). The bytes
go to PATH.part, each 1 MiB chunk checked against the file's record as it arrives and the whole against the
id; PATH appears only when complete and verified. Run the same command again after an interruption: it
resumes from the last verified chunk.

  --node URL          the node to download from, required
  -o, --output PATH   where to save it
  -h, --help          show this help`;

export interface GetIo {
  readonly stdout: ProgressOut;
  readonly stderr: ProgressOut;
}

/** Exit 0 when saved, 1 when the node refused or the bytes failed their check, 2 for a bad flag. */
export async function runGet(argv: readonly string[], io: GetIo): Promise<number> {
  let request: GetArgs | 'help';
  try {
    request = parseGetArgs(argv);
  } catch (error) {
    io.stderr.write(`meshchat get: ${usageErrorFrom(error).message}\n`);
    return USAGE_EXIT_CODE;
  }
  if (request === 'help') {
    io.stdout.write(`${GET_USAGE}\n`);
    return 0;
  }
  try {
    const id = 'id' in request.file ? request.file.id : await idOf(request.node, request.file);
    const { node, output } = request;
    const path = await verifiedDownload({
      node,
      id,
      ...(output === undefined ? {} : { output }),
      progress: io.stdout,
      notes: io.stderr,
    });
    io.stdout.write(`saved ${path} (SHA-256 verified)\n`);
    return 0;
  } catch (error) {
    const problem = error instanceof NodeCallFailed ? error.message : localFileProblem(error);
    if (problem !== undefined) {
      io.stderr.write(`meshchat get: ${problem}\n`);
      return 1;
    }
    throw error;
  }
}

type FileRef = { readonly id: string } | { readonly owner: string; readonly name: string };

interface GetArgs {
  readonly node: URL;
  readonly file: FileRef;
  readonly output?: string;
}

/** The id of OWNER's file called NAME, from the node's listing of OWNER's files (its mesh catalog). */
async function idOf(node: URL, file: { owner: string; name: string }): Promise<string> {
  const url = new URL('/files', node);
  url.searchParams.set('owner', file.owner);
  url.searchParams.set('scope', 'mesh');
  url.searchParams.set('limit', '500');
  const {
    files,
    missing = [],
    stale = [],
  } = await nodeAnswer<{
    files: { id: string; name: string }[];
    missing?: string[];
    stale?: string[];
  }>(url);
  const found = files.find((f) => f.name === file.name.normalize('NFC'));
  if (found) return found.id;
  // The owner's node may be down, or may have left: its files are then not (or not all) in the listing.
  const home = file.owner.slice(file.owner.lastIndexOf('@') + 1);
  const why = stale.includes(home)
    ? ` (what it knows of node ${home}'s files may be out of date: try again shortly)`
    : missing.includes(home)
      ? ` (node ${home} is not listed there now: it may be down, restarting or gone; try again later)`
      : '';
  throw new NodeCallFailed(`${file.owner} has no file named "${file.name}" on ${node.origin}${why}`);
}

function parseGetArgs(argv: readonly string[]): GetArgs | 'help' {
  const args = parseOneFileArgs(
    argv,
    OPTIONS,
    'give exactly one file: meshchat get ID|OWNER/NAME --node URL',
  );
  if (args === 'help') return 'help';
  const { values, file: ref } = args;
  const named = /^([^/]+@[^/]+)\/(.+)$/.exec(ref);
  let file: FileRef;
  // An id copied in upper case is the same id.
  if (/^[0-9a-f]{64}$/i.test(ref)) file = { id: ref.toLowerCase() };
  else if (named) file = { owner: named[1] as string, name: named[2] as string };
  else
    throw new UsageError(
      `name the file by its id (64 hex digits) or as OWNER/NAME, got '${ref.slice(0, 80)}'`,
    );
  const node = parseHttpUrlFlag('--node', requireFlag(values.node, '--node', 'url'));
  return { node, file, ...(values.output ? { output: values.output } : {}) };
}

const OPTIONS = {
  node: { type: 'string' },
  output: { type: 'string', short: 'o' },
  help: { type: 'boolean', short: 'h' },
} as const;
