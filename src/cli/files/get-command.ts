// `meshchat get ID --node URL [-o PATH]`

import { parseArgs } from 'node:util';
import { parseHttpUrlFlag, requireFlag, USAGE_EXIT_CODE, UsageError, usageErrorFrom } from '../args.js';
import { NodeCallFailed } from './node-call.js';
import type { ProgressOut } from './progress.js';
import { verifiedDownload } from './verified-download.js';

export const GET_USAGE = `Usage: meshchat get ID --node URL [-o PATH]

Downloads file ID from the node into PATH (default: the file's name in the current directory; a directory
takes the file's name). The bytes go to PATH.part, each 1 MiB chunk checked against the file's record as it
arrives and the whole against the id; PATH appears only when complete and verified. Run the same command
again after an interruption: it resumes from the last verified chunk.

  --node URL   the node to download from, required
  -o PATH      where to save it
  --help       show this help`;

export interface GetIo {
  readonly stdout: ProgressOut;
  readonly stderr: ProgressOut;
}

/** Exit 0 when saved, 1 when the node refused or the bytes failed their check, 2 for a bad flag. */
export async function runGet(argv: readonly string[], io: GetIo): Promise<number> {
  let request: { node: URL; id: string; output?: string } | 'help';
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
    const path = await verifiedDownload({ ...request, progress: io.stdout, notes: io.stderr });
    io.stdout.write(`saved ${path} (SHA-256 verified)\n`);
    return 0;
  } catch (error) {
    if (error instanceof NodeCallFailed) {
      io.stderr.write(`meshchat get: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

function parseGetArgs(argv: readonly string[]): { node: URL; id: string; output?: string } | 'help' {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: [...argv], strict: true, allowPositionals: true, options: OPTIONS });
  } catch (error) {
    throw usageErrorFrom(error);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  if (positionals.length !== 1) throw new UsageError('give exactly one file id: meshchat get ID --node URL');
  const id = positionals[0] as string;
  if (!/^[0-9a-f]{64}$/.test(id))
    throw new UsageError(`a file id is 64 lower-case hex digits, got '${id.slice(0, 80)}'`);
  const node = parseHttpUrlFlag('--node', requireFlag(values.node, '--node', 'url'));
  return { node, id, ...(values.output ? { output: values.output } : {}) };
}

const OPTIONS = {
  node: { type: 'string' },
  output: { type: 'string', short: 'o' },
  help: { type: 'boolean' },
} as const;
