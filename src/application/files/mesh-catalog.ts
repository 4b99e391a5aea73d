import {
  heldFileIds,
  MAX_CATALOG_PART_BYTES,
  MAX_CATALOG_TOMBSTONES,
  MAX_HELD_COPIES,
  ownedFileRecords,
  ownedRemovals,
} from '../../domain/catalog.js';
import type { FileRecord } from '../../domain/file-record.js';
import type { Member, PeerRegistry } from '../../domain/peer-registry.js';
import type { ViewListener } from '../membership/view-listener.js';
import type { Clock } from '../ports/clock.js';
import type { CatalogCopies } from '../ports/files/catalog-copies.js';
import type { FileQuery } from '../ports/files/file-catalog.js';
import type { InternalErrors } from '../ports/internal-errors.js';
import type { CatalogAnswer, GossipReport, PeerClient } from '../ports/peer-client.js';
import { type HeldPart, ReplicatedParts } from '../replication/replicated-parts.js';
import type { CatalogSettings } from './catalog-settings.js';
import type { CatalogChanges } from './versioned-catalog.js';

/** This node's own records and their version, as `GET /files/catalog` gives them, whole or as a difference. */
export interface OwnCatalog {
  readonly version: number;
  list(query: FileQuery): FileRecord[];
  /** What changed after `since`, or `undefined` when this node cannot say (see `VersionedFileCatalog`). */
  changesSince(since: number, maxFiles: number): CatalogChanges | undefined;
  /** Ids of the files this node holds a verified copy of, most recently used first (at most `MAX_HELD_COPIES`). */
  held?(): string[];
  isHeld?(id: string): boolean;
}

/** `GET /files?scope=mesh`: records of every meshchat node with files, who answered, and who is stale. */
export interface MeshFiles {
  readonly files: FileRecord[];
  readonly answered: string[];
  /** Nodes whose part is not current here: no copy, or a stale one (see `stale`). */
  readonly missing: string[];
  /** Of `missing`, the nodes whose older copy is in `files`: behind their advertised version, or unconfirmed. */
  readonly stale: string[];
}

/** Where a file can be fetched from: its record and the nodes whose part of the catalog lists it. */
export interface FileLocation {
  readonly record: FileRecord;
  /** Ids of the nodes that published it (their home nodes hold the bytes), this node excluded. */
  readonly holders: string[];
}

/** What a download from other nodes needs of the mesh catalog. */
export interface FileLocator {
  /** The record of `id` from the copies (fresh or stale) of other nodes' parts, and which nodes list it. */
  locate(id: string): FileLocation | undefined;
  /** Whether node `id` is a meshchat node with a catalog (it answers `GET /files/:id`, and may relay). */
  hasCatalog(id: string): boolean;
}

/**
 * The replicated mesh catalog: a copy of every other meshchat node's file records, kept current by gossip, as
 * the mesh directory keeps users: both are thin users of `ReplicatedParts`, whose contracts hold here. The
 * copies live in `CatalogCopies` (the node's database, with an FTS5 index), so they survive a restart and a
 * search over them is local.
 *
 * - Each `GET /nodes` entry carries `catalog`, the version of that node's records as the reporter knows it; a
 *   node's own entry carries its own. After each gossip round the engine pulls `GET /files/catalog?since=<held
 *   version>` from a live member whose version differs from its copy (without a copy: the whole catalog). A
 *   peer that echoes `since` sent only the difference (records added, tombstones of records removed), applied
 *   to the copy; any other answer (an older node ignores `since`; `full: true`) replaces it whole.
 * - A whole part replaces the copy only at a version at least the copy's: a delete, which moves its node's
 *   version, is never undone by an older answer; a difference applies only to the copy it was asked from.
 * - Hostile peers: every record is re-checked (`ownedFileRecords`, `ownedRemovals`): owner `name@<that node>`,
 *   at most `maxRecordsPerNode` and `MAX_CATALOG_PART_BYTES` per node and `maxRecords` in all; versions more
 *   than a day ahead are ignored.
 * - `mesh()` answers from the copies at once (no request): `answered` nodes are current; a node that showed a
 *   version without a current copy is `missing`, and when an older copy is held its records are still given and
 *   it is named in `stale` too.
 * - Held copies: a part dropped because its node left keeps the records of contents this node or another
 *   node holds a copy of (retained, see `CatalogCopies.drop`), so those files stay found and fetched from their
 *   holders; searches cover them, their node named in `stale`. A pull that removes the last record of a content
 *   this node holds (the publisher deleted it) is told to `onRecordsGone` listeners (the held-copy budget).
 */
export class MeshCatalog implements ViewListener, FileLocator {
  readonly #parts: ReplicatedParts<CatalogAnswer>;
  readonly #gone: ((ids: readonly string[]) => void)[] = [];

  constructor(
    private readonly deps: {
      readonly registry: PeerRegistry;
      readonly peers: PeerClient;
      readonly clock: Clock;
      readonly own: OwnCatalog;
      readonly copies: CatalogCopies;
      readonly errors?: InternalErrors;
    },
    settings: CatalogSettings,
  ) {
    const { registry, peers, clock, errors, copies } = deps;
    const held = copies
      .parts()
      .map((part) => [part.node, { version: part.version, items: part.records }] as const);
    this.#parts = new ReplicatedParts(
      { registry, clock, errors },
      {
        reported: (report) => report.catalog,
        pull: (url, options, copy) =>
          peers.listCatalog(url, copy === undefined ? options : { ...options, since: copy.version }),
        keep: (node, answer, version, copy, max) => this.#keep(node, answer, version, copy, max),
        forget: (node) => {
          copies.drop(node, deps.own.held?.() ?? []);
          copies.pruneRetained(deps.own.held?.() ?? []);
        },
      },
      { ...settings, maxItemsPerNode: settings.maxRecordsPerNode, maxItems: settings.maxRecords },
      held,
    );
  }

  /**
   * `listener` is told the ids of contents this node holds a copy of (`own.held`) whose last record a pull just
   * removed (the publisher deleted it): the held-copy budget drops them. A part dropped because its node left
   * removes nothing of the kind: records of held contents are retained (`CatalogCopies.drop`).
   */
  onRecordsGone(listener: (ids: readonly string[]) => void): void {
    this.#gone.push(listener);
  }

  /** Removes retained records no node holds a copy of any more (after this node dropped one). */
  pruneRetained(): void {
    this.deps.copies.pruneRetained(this.deps.own.held?.() ?? []);
  }

  /** The catalog version this node gives for `id` in its `GET /nodes` answer, if it knows one. */
  versionOf(id: string): number | undefined {
    if (id === this.deps.registry.self.id) return this.deps.own.version;
    return this.#parts.knownVersion(id);
  }

  viewMerged(source: Member, reports: readonly GossipReport[]): void {
    this.#parts.viewMerged(source, reports);
  }

  /**
   * Records of this node and of every held copy of a listed node matching `query`, this node's first, then the
   * copies' best match first (newest first without words); at most `limit`. No request is sent.
   */
  mesh(query: FileQuery): MeshFiles {
    const fresh = this.#parts.fresh();
    const { answered } = fresh;
    // Nodes that left whose records are kept for the copies some node holds: possibly out of date, so stale.
    const retained = this.deps.copies.retained().filter((node) => !fresh.missing.includes(node));
    const stale = [...fresh.stale, ...retained];
    const missing = [...fresh.missing, ...retained];
    if (query.words?.length === 0) return { files: [], answered, missing, stale };
    const files = this.deps.own.list(query);
    const nodes = [...answered.slice(1), ...stale];
    if (files.length < query.limit && nodes.length > 0)
      files.push(...this.deps.copies.search(nodes, { ...query, limit: query.limit - files.length }));
    return { files, answered, missing, stale };
  }

  /** Every record of content `id` held in the copies (of any node, current or not), oldest change first. */
  byId(id: string): FileRecord[] {
    return this.deps.copies.byId(id);
  }

  locate(id: string): FileLocation | undefined {
    // One indexed lookup in the copies. Stale parts count too: a record is self-certifying (every byte fetched
    // is checked against it), and a holder that is really gone only costs a refused request. An owner is
    // `name@<node>`, re-checked on the way in (`ownedFileRecords`), so it names the node whose part it is.
    // Then the nodes whose `held` list names it (a verified copy fetched earlier), also by an index.
    const records = this.deps.copies.byId(id);
    const record = records[0];
    if (!record) return undefined;
    const holders: string[] = [];
    for (const { owner } of records) {
      const node = owner.slice(owner.lastIndexOf('@') + 1);
      if (!holders.includes(node)) holders.push(node);
    }
    for (const node of this.deps.copies.holders(id)) if (!holders.includes(node)) holders.push(node);
    return { record, holders };
  }

  hasCatalog(id: string): boolean {
    return this.#parts.knownVersion(id) !== undefined;
  }

  /** After this, answers still in flight change nothing. */
  stop(): void {
    this.#parts.stop();
  }

  #keep(
    node: string,
    answer: CatalogAnswer,
    version: number,
    held: HeldPart | undefined,
    max: number,
  ): number | undefined {
    const limits = { maxRecords: max, maxBytes: MAX_CATALOG_PART_BYTES };
    // An older answer never replaces a newer copy (its missing records would come back as if not deleted).
    if (held && version < held.version) return undefined;
    const files = ownedFileRecords(node, answer.files, max);
    const diff = held !== undefined && answer.full !== true && answer.since === held.version;
    const { copies, own } = this.deps;
    // The `held` list comes whole in either form; a node that sends none (older) keeps its last one.
    if (answer.held !== undefined) {
      copies.setHeld(node, heldFileIds(answer.held, MAX_HELD_COPIES));
      copies.pruneRetained(own.held?.() ?? []);
    }
    if (!diff) {
      const count = copies.replace(node, version, files, limits);
      this.#recordsGone(own.held?.() ?? []);
      return count;
    }
    const removed = ownedRemovals(node, answer.removed ?? [], MAX_CATALOG_TOMBSTONES);
    const count = copies.apply(node, version, files, removed, limits);
    this.#recordsGone(removed.map((gone) => gone.id).filter((id) => own.isHeld?.(id) === true));
    return count;
  }

  /** Tells the listeners which of `ids` (held here) have no record left in any copy. */
  #recordsGone(ids: readonly string[]): void {
    if (ids.length === 0 || this.#gone.length === 0) return;
    const gone = ids.filter((id) => this.deps.copies.byId(id).length === 0);
    if (gone.length === 0) return;
    for (const listener of this.#gone) listener(gone);
  }
}
