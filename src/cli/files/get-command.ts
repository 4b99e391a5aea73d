// `meshchat get ID --node URL [-o PATH]`

import { parseHttpUrlFlag, requireFlag } from '../args.js';
import { type FileRef, idOf, parseFileRef } from './file-ref.js';
import { localFileProblem } from './local-file-error.js';
import { NodeCallFailed } from './node-call.js';
import { argsOrExit, parseOneFileArgs } from './one-file-args.js';
import type { ProgressOut } from './progress.js';
import { beforeDownload, DownloadStopped, verifiedDownload } from './verified-download.js';

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
  /** Aborted when the user stops the command (SIGINT, SIGTERM). */
  readonly stop?: AbortSignal;
}

/** Exit code of a download the user stopped: 128 + the signal's number, as a shell reports it (Ctrl-C: 130). */
function stoppedExit(stop: AbortSignal | undefined): number {
  return stop?.reason === 'SIGTERM' ? 143 : 130;
}

/**
 * Exit 0 when saved, 1 when the node refused or the bytes failed their check, 2 for a bad flag, 130 (SIGINT)
 * or 143 (SIGTERM) when the user stopped it (one line says what was kept).
 */
export async function runGet(argv: readonly string[], io: GetIo): Promise<number> {
  const parsed = argsOrExit('get', GET_USAGE, io, () => parseGetArgs(argv));
  if ('exit' in parsed) return parsed.exit;
  const request = parsed.args;
  try {
    const { node, output, file } = request;
    const stop = io.stop;
    const id = 'id' in file ? file.id : await beforeDownload((init) => idOf(node, file, init), stop);
    const path = await verifiedDownload({
      node,
      id,
      ...(output === undefined ? {} : { output }),
      progress: io.stdout,
      notes: io.stderr,
      ...(io.stop ? { stop: io.stop } : {}),
    });
    io.stdout.write(`saved ${path} (SHA-256 verified)\n`);
    return 0;
  } catch (error) {
    if (error instanceof DownloadStopped) {
      io.stderr.write(`\nmeshchat get: ${error.message}\n`);
      return stoppedExit(io.stop);
    }
    const problem = error instanceof NodeCallFailed ? error.message : localFileProblem(error);
    if (problem !== undefined) {
      io.stderr.write(`meshchat get: ${problem}\n`);
      return 1;
    }
    throw error;
  }
}

interface GetArgs {
  readonly node: URL;
  readonly file: FileRef;
  readonly output?: string;
}

function parseGetArgs(argv: readonly string[]): GetArgs | 'help' {
  const args = parseOneFileArgs(
    argv,
    OPTIONS,
    'give exactly one file: meshchat get ID|OWNER/NAME --node URL',
  );
  if (args === 'help') return 'help';
  const { values, file: ref } = args;
  const file = parseFileRef(ref);
  const node = parseHttpUrlFlag('--node', requireFlag(values.node, '--node', 'url'));
  return { node, file, ...(values.output ? { output: values.output } : {}) };
}

const OPTIONS = {
  node: { type: 'string' },
  output: { type: 'string', short: 'o' },
  help: { type: 'boolean', short: 'h' },
} as const;
