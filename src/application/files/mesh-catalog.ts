import { type CatalogPart, matchesWords, ownedFileRecords, replacesPart } from '../../domain/catalog.js';
import { isPlausibleDirectoryVersion } from '../../domain/directory.js';
import { MeshError } from '../../domain/errors.js';
import type { FileRecord } from '../../domain/file-record.js';
import type { Member, PeerRegistry } from '../../domain/peer-registry.js';
import type { ViewListener } from '../membership/view-listener.js';
import type { Clock } from '../ports/clock.js';
import type { FileQuery } from '../ports/files/file-catalog.js';
import type { InternalErrors } from '../ports/internal-errors.js';
import type { GossipReport, PeerClient } from '../ports/peer-client.js';
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

interface Copy extends CatalogPart {
  confirmedAt: number;
}

/**
 * The replicated mesh catalog: a copy of every other meshchat node's file records, kept current by gossip, as
 * the mesh directory keeps users (`MeshDirectory`, whose contracts this follows).
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
export class MeshCatalog implements ViewListener {
  readonly #known = new Map<string, number>();
  readonly #copies = new Map<string, Copy>();
  readonly #pulling = new Set<string>();
  #stopped = false;

  constructor(
    private readonly deps: {
      readonly registry: PeerRegistry;
      readonly peers: PeerClient;
      readonly clock: Clock;
      readonly own: OwnCatalog;
      readonly errors?: InternalErrors;
    },
    private readonly settings: CatalogSettings,
  ) {}

  /** The catalog version this node gives for `id` in its `GET /nodes` answer, if it knows one. */
  versionOf(id: string): number | undefined {
    if (id === this.deps.registry.self.id) return this.deps.own.version;
    return this.#known.get(id);
  }

  viewMerged(source: Member, reports: readonly GossipReport[]): void {
    if (this.#stopped) return;
    const { registry, clock } = this.deps;
    const now = clock.now();
    for (const report of reports) {
      const { id, catalog } = report;
      if (catalog === undefined || id === registry.self.id || !registry.get(id)) continue;
      if (!isPlausibleDirectoryVersion(catalog, now)) continue;
      const known = this.#known.get(id);
      if (id === source.id || known === undefined || catalog > known) this.#known.set(id, catalog);
      const copy = this.#copies.get(id);
      const alive = report.state === undefined || report.state === 'alive';
      if (copy && alive && copy.version === this.#known.get(id)) copy.confirmedAt = now;
    }
    this.#prune();
    this.#pullChanged();
  }

  /** Records of this node and every fresh copy matching `query`, this node's first; at most `limit`. */
  mesh(query: FileQuery): MeshFiles {
    const { registry, clock, own } = this.deps;
    this.#prune();
    const now = clock.now();
    const files = own.list(query);
    const answered = [registry.self.id];
    const missing: string[] = [];
    const ids = new Set([...this.#known.keys(), ...this.#copies.keys()]);
    for (const id of [...ids].sort()) {
      const copy = this.#copies.get(id);
      const fresh =
        copy !== undefined &&
        registry.get(id)?.state === 'alive' &&
        now - copy.confirmedAt <= this.settings.staleAfterMs;
      if (!fresh) {
        missing.push(id);
        continue;
      }
      answered.push(id);
      for (const record of copy.files) {
        if (files.length >= query.limit) break;
        if (query.owner !== undefined && record.owner !== query.owner) continue;
        if (query.words !== undefined && !matchesWords(record, query.words)) continue;
        files.push(record);
      }
    }
    return { files, answered, missing };
  }

  /** After this, answers still in flight change nothing. */
  stop(): void {
    this.#stopped = true;
  }

  #pullChanged(): void {
    for (const member of this.deps.registry.peers()) {
      if (this.#pulling.size >= this.settings.maxPullsInFlight) return;
      const known = this.#known.get(member.id);
      if (known === undefined || member.state !== 'alive' || this.#pulling.has(member.id)) continue;
      const copy = this.#copies.get(member.id);
      if (copy === undefined || copy.version !== known) void this.#pull(member, known);
    }
  }

  async #pull(member: Member, asked: number): Promise<void> {
    const { peers, clock, registry, errors } = this.deps;
    this.#pulling.add(member.id);
    try {
      const answer = await peers.listCatalog(member.url, { timeoutMs: this.settings.pullTimeoutMs });
      if (this.#stopped || registry.get(member.id)?.url !== member.url) return;
      const now = clock.now();
      const said = answer.version;
      const version = said !== undefined && isPlausibleDirectoryVersion(said, now) ? said : asked;
      const room = this.settings.maxRecords - this.#heldRecords(member.id);
      const max = Math.max(0, Math.min(this.settings.maxRecordsPerNode, room));
      const part = { version, files: ownedFileRecords(member.id, answer.files, max) };
      const held = this.#copies.get(member.id);
      // The node's own word replaces what gossip said of it, but never brings back an older part.
      if (!replacesPart(held, part)) return;
      this.#known.set(member.id, version);
      this.#copies.set(member.id, { ...part, confirmedAt: now });
    } catch (error) {
      // A peer that failed to answer keeps its old copy; it is asked again at the next gossip round.
      if (!(error instanceof MeshError)) errors?.report(error);
    } finally {
      this.#pulling.delete(member.id);
    }
  }

  #heldRecords(except: string): number {
    let count = 0;
    for (const [id, copy] of this.#copies) if (id !== except) count += copy.files.length;
    return count;
  }

  /** Forgets nodes that are neither members nor found dead (they left, or their tombstone expired). */
  #prune(): void {
    const { registry } = this.deps;
    for (const map of [this.#known, this.#copies]) {
      for (const id of map.keys()) {
        if (!registry.get(id) && registry.tombstone(id)?.reason !== 'dead') map.delete(id);
      }
    }
  }
}
