import { MAX_CATALOG_RECORDS_PER_NODE, type RemovedRecord } from '../../domain/catalog.js';
import type { FileRecord } from '../../domain/file-record.js';
import type { OwnCatalog } from './mesh-catalog.js';

/**
 * What `GET /files/catalog[?since=]` answers: the version, and either the difference after `since` (`since`
 * echoed, the records added and the tombstones of those removed after it) or the whole catalog (`full`), at most
 * `MAX_CATALOG_RECORDS_PER_NODE` records, newest first; in either form the whole `held` list (ids of the files
 * this node holds a verified copy of), when the catalog keeps one.
 */
export type OwnCatalogAnswer = (
  | { readonly version: number; readonly files: FileRecord[]; readonly full: true }
  | {
      readonly version: number;
      readonly files: FileRecord[];
      readonly removed: RemovedRecord[];
      readonly since: number;
    }
) & { readonly held?: string[] };

/**
 * The answer for a peer holding version `since` of this node's catalog: the difference when this node still
 * knows it (`since` no older than its start or its oldest kept tombstone, not ahead of its version, and fewer
 * changes than one answer holds), else the whole catalog flagged `full`.
 */
export function ownCatalogAnswer(own: OwnCatalog, since?: number): OwnCatalogAnswer {
  const version = own.version;
  const changes = since === undefined ? undefined : own.changesSince(since, MAX_CATALOG_RECORDS_PER_NODE);
  const held = own.held ? { held: own.held() } : {};
  if (since !== undefined && changes) return { version, ...changes, since, ...held };
  return { version, files: own.list({ limit: MAX_CATALOG_RECORDS_PER_NODE }), full: true, ...held };
}
