// `meshchat files --node URL [--user U] [--search WORDS] [--local] [--json]`

import { parseArgs } from 'node:util';
import { shownFileName } from '../../client/file-names.js';
import { canonicalAccountName, formatUserAddress, parseUserAddress } from '../../domain/account.js';
import { parseHttpUrlFlag, requireFlag, USAGE_EXIT_CODE, UsageError, usageErrorFrom } from '../args.js';
import { CONTROL } from '../terminal-text.js';
import { NodeCallFailed, nodeAnswer } from './node-call.js';
import { formatBytes, type ProgressOut } from './progress.js';
import type { FileRecordAnswer } from './verified-download.js';

export const FILES_USAGE = `Usage: meshchat files --node URL [--user U] [--search WORDS] [--local] [--json]

Lists the files published anywhere in the mesh, as the node's replicated catalog knows them, newest first, or
those matching WORDS (in names and descriptions, best match first). Nodes whose part of the catalog may be out
of date are named on stderr.

  --node URL       the node to ask, required
  --user U         only the files of U (name@node)
  --search WORDS   only files whose name or description has every word
  --local          only the files published on that node
  --json           one JSON object per file and line instead of a table
  -h, --help       show this help`;

interface Listed extends FileRecordAnswer {
  readonly description: string;
  readonly publishedAt: string;
}

/**
 * The files as a table; cells from the node cannot break a line or move the cursor, and a name's text-reordering
 * characters are written out (`[U+202E]`), as the web page shows them.
 */
export function formatFilesTable(files: readonly Listed[]): string {
  const header = ['ID', 'SIZE', 'OWNER', 'PUBLISHED', 'NAME', 'DESCRIPTION'];
  const rows = files.map((f) =>
    [
      f.id,
      formatBytes(f.size),
      f.owner,
      f.publishedAt.slice(0, 16).replace('T', ' '),
      shownFileName(f.name),
      f.description.slice(0, 60),
    ].map((cell) => cell.replace(CONTROL, '?')),
  );
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((row) => (row[i] as string).length)));
  return all
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] as number)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** `--user`: a user's address, `name@node` (the name in any case), checked before the node is asked. */
function parseUserFlag(value: string): string {
  try {
    return formatUserAddress(parseUserAddress(value));
  } catch {
    const bare = canonicalAccountName(value);
    throw new UsageError(
      `--user takes a user's address, name@node (alice@node-a), got '${value.slice(0, 100).replace(CONTROL, '?')}'` +
        (bare !== undefined ? `: add the node the user lives on, --user ${bare}@<node id>` : ''),
    );
  }
}

export async function runFiles(
  argv: readonly string[],
  io: { stdout: ProgressOut; stderr: ProgressOut },
): Promise<number> {
  let values: {
    node?: string;
    user?: string;
    search?: string;
    local?: boolean;
    json?: boolean;
    help?: boolean;
  };
  let node: URL;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        node: { type: 'string' },
        user: { type: 'string' },
        search: { type: 'string' },
        local: { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
    if (values.help) {
      io.stdout.write(`${FILES_USAGE}\n`);
      return 0;
    }
    node = parseHttpUrlFlag('--node', requireFlag(values.node, '--node', 'url'));
    if (values.user !== undefined) values.user = parseUserFlag(values.user);
  } catch (error) {
    io.stderr.write(`meshchat files: ${usageErrorFrom(error).message}\n`);
    return USAGE_EXIT_CODE;
  }
  const url = new URL('/files', node);
  if (values.user !== undefined) url.searchParams.set('owner', values.user);
  if (values.search !== undefined) url.searchParams.set('q', values.search);
  url.searchParams.set('scope', values.local ? 'node' : 'mesh');
  try {
    const {
      files,
      missing = [],
      stale = [],
    } = await nodeAnswer<{
      files: Listed[];
      missing?: string[];
      stale?: string[];
    }>(url, {}, (body) => Array.isArray(body.files));
    const note = listingNote(missing, stale);
    if (note) io.stderr.write(`meshchat files: ${note}\n`);
    if (values.json) for (const file of files) io.stdout.write(`${JSON.stringify(file)}\n`);
    else io.stdout.write(files.length === 0 ? 'no files\n' : `${formatFilesTable(files)}\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof NodeCallFailed)) throw error;
    io.stderr.write(`meshchat files: ${error.message}\n`);
    return 1;
  }
}

/**
 * What a mesh listing may lack: nodes whose records are in it but possibly out of date (`stale`), and nodes
 * with no records in it at all (the rest of `missing`); names cleaned of control characters.
 */
export function listingNote(missing: readonly string[], stale: readonly string[]): string | undefined {
  const clean = (ids: readonly string[]) => ids.map((id) => id.replace(CONTROL, '?')).join(', ');
  const absent = missing.filter((id) => !stale.includes(id));
  const parts = [
    ...(stale.length > 0 ? [`possibly out of date: ${clean(stale)}`] : []),
    ...(absent.length > 0 ? [`not listed yet: ${clean(absent)}`] : []),
  ];
  return parts.length > 0 ? parts.join('; ') : undefined;
}
