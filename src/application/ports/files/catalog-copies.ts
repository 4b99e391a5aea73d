import type { RemovedRecord } from '../../../domain/catalog.js';
import type { FileRecord } from '../../../domain/file-record.js';
import type { FileQuery } from './file-catalog.js';

/** One other node's part as held: the version it was pulled at, its record count and their bytes. */
export interface CatalogCopyPart {
  readonly node: string;
  readonly version: number;
  readonly records: number;
  readonly bytes: number;
}

/** How much of one node's part may be kept: records, and their `catalogRecordBytes` in all. */
export interface PartLimits {
  readonly maxRecords: number;
  readonly maxBytes: number;
}

/**
 * The copies this node keeps of other nodes' file records (the mesh catalog), so they survive a restart and are
 * searched locally.
 *
 * - Synchronous, durable once a call returns (the real adapter: the node's database); throws `StoreClosed` once
 *   closed, and otherwise only when the storage fails. Records are already checked by the caller
 *   (`ownedFileRecords`); the store keys them by `(owner, id)`, and `node` is the node whose part they are.
 * - `replace` swaps a node's whole part for `records` at `version`, given newest first (as `GET /files/catalog`
 *   lists them), so a search without words lists them in that order; `apply` changes it by a difference: the
 *   `removed` records go, each of `changed` (oldest change first, as a difference answer lists them) is added or
 *   replaces the held one of the same owner and id, and the part is then at `version`. Each is atomic. Neither
 *   keeps a new record that would take the part past `limits` (records count, or their bytes): the rest are
 *   cut, in the given order. Both return the part's record count.
 * - `search` finds the records of the given nodes only, as `FileCatalog.list` does: every word as a prefix
 *   of a word of the name or description, best match first (names weigh more); without words, most recently
 *   changed first; `owner` narrows it. At most `query.limit`.
 * - `parts` lists every held part (for the engine, at start); `drop` forgets one (idempotent), its `held` list too,
 *   except its records of contents someone still holds a copy of: ids in `keep` (this node's own held copies) or
 *   in another node's `held` list. Those stay, **retained**, with no part: `byId` finds them, `retained()` names
 *   their nodes (for searches), and they go with `pruneRetained(keep)` once no such holder is left, or when a
 *   `replace` of their node brings its part back (a node that rejoins is pulled whole).
 * - `setHeld` replaces the ids of the files `node` says it holds a verified copy of (its catalog's `held` list,
 *   already checked and bounded by the caller); `holders(id)` gives the nodes whose list has `id`, by an index.
 */
export interface CatalogCopies {
  parts(): CatalogCopyPart[];
  replace(node: string, version: number, records: readonly FileRecord[], limits: PartLimits): number;
  apply(
    node: string,
    version: number,
    changed: readonly FileRecord[],
    removed: readonly RemovedRecord[],
    limits: PartLimits,
  ): number;
  drop(node: string, keep?: readonly string[]): void;
  /** Nodes with retained records (their part dropped while a copy of some of their files was held). */
  retained(): string[];
  /** Removes retained records whose content is neither in `keep` nor in any node's `held` list. */
  pruneRetained(keep: readonly string[]): void;
  search(nodes: readonly string[], query: FileQuery): FileRecord[];
  /** Every held record of content `id`, of any node, oldest change first. */
  byId(id: string): FileRecord[];
  setHeld(node: string, ids: readonly string[]): void;
  holders(id: string): string[];
  close(): void;
}
