import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isValidNodeId } from '../../domain/node-record.js';
import { makeDirs } from './make-dirs.js';
import { systemErrorReason } from './system-error-reason.js';

/** Where a node run without `--id` and without `--data-dir` keeps its state, so each start is the same node. */
export const DEFAULT_DATA_DIR = '.meshchat/node';
/** The file in a data dir that holds the node's id (one line). */
export const NODE_ID_FILE = 'node-id';

/**
 * A data dir whose id file cannot be used; the message is one line naming the file. `io` is true when the dir
 * or the file could not be created or read (permissions, a read-only disk), false when the file holds
 * something that is not a node id.
 */
export class NodeIdentityUnusable extends Error {
  override name = 'NodeIdentityUnusable';
  readonly code = 'node_identity_unusable';
  constructor(
    message: string,
    readonly io = false,
  ) {
    super(message);
  }
}

export const randomNodeId = (): string => `node-${randomBytes(3).toString('hex')}`;

/**
 * The node id kept in `dataDir`: the one stored there, or on first use a new one from `make`, stored before it
 * is returned (creating the dir). Two processes starting at once on an empty dir get the same id: the file is
 * written aside and linked into place, which only one of them can do. Throws `NodeIdentityUnusable` when the
 * dir cannot be created or the file holds something that is not a node id (never overwritten: it may be
 * someone's).
 */
export function storedNodeId(dataDir: string, make: () => string = randomNodeId): string {
  const file = join(dataDir, NODE_ID_FILE);
  const stored = readId(file);
  if (stored !== undefined) return stored;
  const aside = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    makeDirs(dataDir);
  } catch (error) {
    throw new NodeIdentityUnusable(
      `cannot create the data dir ${dataDir}: ${systemErrorReason(error)}`,
      true,
    );
  }
  try {
    writeFileSync(aside, `${make()}\n`, { flag: 'wx' });
    linkSync(aside, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new NodeIdentityUnusable(`cannot keep the node id in ${file}: ${systemErrorReason(error)}`, true);
    }
  } finally {
    try {
      unlinkSync(aside);
    } catch {
      // Not written, or already gone.
    }
  }
  const id = readId(file);
  if (id === undefined) throw new NodeIdentityUnusable(`cannot read back the node id from ${file}`, true);
  return id;
}

function readId(file: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new NodeIdentityUnusable(`cannot read the node id from ${file}: ${systemErrorReason(error)}`, true);
  }
  const id = text.trim();
  if (!isValidNodeId(id)) {
    throw new NodeIdentityUnusable(`${file} does not hold a node id; fix or remove it, or pass --id`);
  }
  return id;
}
