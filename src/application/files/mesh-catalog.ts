import { matchesWords, ownedFileRecords, replacesPart } from '../../domain/catalog.js';
import type { FileRecord } from '../../domain/file-record.js';
import type { Member, PeerRegistry } from '../../domain/peer-registry.js';
import type { ViewListener } from '../membership/view-listener.js';
import type { Clock } from '../ports/clock.js';
import type { FileQuery } from '../ports/files/file-catalog.js';
import type { InternalErrors } from '../ports/internal-errors.js';
import type { CatalogAnswer, GossipReport, PeerClient } from '../ports/peer-client.js';
import { ReplicatedParts } from '../replication/replicated-parts.js';
import type { CatalogSettings } from './catalog-settings.js';

/** This node's own records and their version, as `GET /files/catalog` gives them. */
export interface OwnCatalog {
  readonly version: number;
  list(query: FileQuery): FileRecord[];
}

/** `GET /files?scope=mesh`: records of every meshchat node with files, who answered, and who is stale. */
export interface MeshFiles {
  readonly files: FileRecord[];
  readonly answered: string[];
  readonly missing: string[];
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
 * the mesh directory keeps users: both are thin users of `ReplicatedParts`, whose contracts hold here.
 *
 * - Each `GET /nodes` entry carries `catalog`, the version of that node's records as the reporter knows it; a
 *   node's own entry carries its own. After each gossip round the engine pulls `GET /files/catalog` (the node's
 *   whole part, bounded) from a live member whose version differs from its copy. At rest it sends nothing.
 * - A pulled part replaces the copy only when its version is at least the copy's (`replacesPart`): a delete,
 *   which moves its node's version, is never undone by an older answer.
 * - Hostile peers: every record is re-checked (`ownedFileRecords`): owner `name@<that node>`, at most
 *   `maxRecordsPerNode` per node and `maxRecords` in all; versions more than a day ahead are ignored.
 * - `mesh()` answers from the copies at once; a node that showed a version and has no copy confirmed within
 *   `staleAfterMs`, or is suspect or found dead, is in `missing`.
 */
export class MeshCatalog implements ViewListener, FileLocator {
  readonly #parts: ReplicatedParts<FileRecord, CatalogAnswer>;

  constructor(
    private readonly deps: {
      readonly registry: PeerRegistry;
      readonly peers: PeerClient;
      readonly clock: Clock;
      readonly own: OwnCatalog;
      readonly errors?: InternalErrors;
    },
    settings: CatalogSettings,
  ) {
    const { registry, peers, clock, errors } = deps;
    this.#parts = new ReplicatedParts(
      { registry, clock, errors },
      {
        reported: (report) => report.catalog,
        pull: (url, options) => peers.listCatalog(url, options),
        validate: (answer, node, max) => ownedFileRecords(node, answer.files, max),
        // The node's own word replaces what gossip said of it, but never brings back an older part.
        replaces: (held, pulled) =>
          replacesPart(
            { version: held.version, files: held.items },
            { version: pulled.version, files: pulled.items },
          ),
      },
      { ...settings, maxItemsPerNode: settings.maxRecordsPerNode, maxItems: settings.maxRecords },
    );
  }

  /** The catalog version this node gives for `id` in its `GET /nodes` answer, if it knows one. */
  versionOf(id: string): number | undefined {
    if (id === this.deps.registry.self.id) return this.deps.own.version;
    return this.#parts.knownVersion(id);
  }

  viewMerged(source: Member, reports: readonly GossipReport[]): void {
    this.#parts.viewMerged(source, reports);
  }

  /** Records of this node and every fresh copy matching `query`, this node's first; at most `limit`. */
  mesh(query: FileQuery): MeshFiles {
    const { parts, answered, missing } = this.#parts.fresh();
    const files = this.deps.own.list(query);
    for (const part of parts) {
      for (const record of part.items) {
        if (files.length >= query.limit) break;
        if (query.owner !== undefined && record.owner !== query.owner) continue;
        if (query.words !== undefined && !matchesWords(record, query.words)) continue;
        files.push(record);
      }
    }
    return { files, answered, missing };
  }

  locate(id: string): FileLocation | undefined {
    let record: FileRecord | undefined;
    const holders: string[] = [];
    // Stale parts count too: a record is self-certifying (every byte fetched is checked against it), and a
    // holder that is really gone only costs a refused request.
    for (const part of this.#parts.held()) {
      const found = part.items.find((item) => item.id === id);
      if (!found) continue;
      record ??= found;
      holders.push(part.id);
    }
    return record ? { record, holders } : undefined;
  }

  hasCatalog(id: string): boolean {
    return this.#parts.knownVersion(id) !== undefined;
  }

  /** After this, answers still in flight change nothing. */
  stop(): void {
    this.#parts.stop();
  }
}
