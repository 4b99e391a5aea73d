// How the file commands (`get`, `delete`) name a file: its id, or OWNER/NAME looked up on the node.

import { canonicalAccountName } from '../../domain/account.js';
import { UsageError } from '../args.js';
import { NodeCallFailed, nodeAnswer } from './node-call.js';

/** A file named by its id (lower-case hex), or by its owner's address and its name. */
export type FileRef = { readonly id: string } | { readonly owner: string; readonly name: string };

/** Parses `ID` (64 hex digits, either case) or `OWNER/NAME` (`alice@node-a/notes.txt`). */
export function parseFileRef(ref: string): FileRef {
  const named = /^([^/]+@[^/]+)\/(.+)$/.exec(ref);
  // An id copied in upper case is the same id.
  if (/^[0-9a-f]{64}$/i.test(ref)) return { id: ref.toLowerCase() };
  if (named) {
    // Account names are case-insensitive: `Alice@node-a` is `alice@node-a`, as the node keeps it.
    const owner = named[1] as string;
    const account = canonicalAccountName(accountNameOf(owner)) ?? accountNameOf(owner);
    return { owner: `${account}@${homeNodeOf(owner)}`, name: named[2] as string };
  }
  throw new UsageError(`name the file by its id (64 hex digits) or as OWNER/NAME, got '${ref.slice(0, 80)}'`);
}

/** The node an OWNER address (`alice@node-a`) lives on: where its files are published and deleted. */
export function homeNodeOf(owner: string): string {
  return owner.slice(owner.lastIndexOf('@') + 1);
}

/** The account name of an OWNER address (`alice` of `alice@node-a`): who may delete its files. */
export function accountNameOf(owner: string): string {
  return owner.slice(0, owner.lastIndexOf('@'));
}

/** The id of OWNER's file called NAME, from the node's listing of OWNER's files (its mesh catalog). */
export async function idOf(
  node: URL,
  file: { owner: string; name: string },
  init: RequestInit = {},
): Promise<string> {
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
  }>(url, init, (body) => Array.isArray(body.files));
  const found = files.find((f) => f.name === file.name.normalize('NFC'));
  if (found) return found.id;
  // The owner's node may be down, or may have left: its files are then not (or not all) in the listing.
  const home = homeNodeOf(file.owner);
  const why = stale.includes(home)
    ? ` (what it knows of node ${home}'s files may be out of date: try again shortly)`
    : missing.includes(home)
      ? ` (node ${home} is not listed there now: it may be down, restarting or gone; try again later)`
      : '';
  throw new NodeCallFailed(`${file.owner} has no file named "${file.name}" on ${node.origin}${why}`);
}
