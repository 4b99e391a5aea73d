import { isPlausibleDirectoryVersion } from '../../domain/directory.js';
import { MeshError } from '../../domain/errors.js';
import type { Member, PeerRegistry } from '../../domain/peer-registry.js';
import type { ViewListener } from '../membership/view-listener.js';
import type { Clock } from '../ports/clock.js';
import type { InternalErrors } from '../ports/internal-errors.js';
import type { CallOptions, GossipReport } from '../ports/peer-client.js';

/** How a replicated copy is kept: timing, concurrency, and how many items of one node and of all are held. */
export interface ReplicatedPartsSettings {
  /** A copy not confirmed for this long is listed as `missing`. */
  readonly staleAfterMs: number;
  /** Deadline of one pull. */
  readonly pullTimeoutMs: number;
  /** Pulls in flight at once; the rest wait for a later gossip round. */
  readonly maxPullsInFlight: number;
  /** Items kept of one node (its part is cut beyond). */
  readonly maxItemsPerNode: number;
  /** Items kept of all other nodes together. */
  readonly maxItems: number;
}

/** A pulled answer, in the user's shape: the part's items and the version the node gives for them. */
export interface PulledAnswer {
  readonly version?: number;
}

/** One node's part: the version it was pulled at and its checked items. */
export interface Part<T> {
  readonly version: number;
  readonly items: readonly T[];
}

/**
 * What a user of the engine supplies: where versions are gossiped, how a part is pulled and checked. `pull`
 * hands back the peer's answer as is (no wrapping: a pull's answer lands in the same tick as before).
 */
export interface PartSource<T, A extends PulledAnswer> {
  /** The version a `GET /nodes` entry gives for its node's part, if any (plain nodes give none). */
  reported(report: GossipReport): number | undefined;
  /** Fetches the whole part of the node at `url`. */
  pull(url: string, options: CallOptions): Promise<A>;
  /** Keeps only the answer's items that `node` may own, at most `max` of them: peers may be hostile. */
  validate(answer: A, node: string, max: number): T[];
  /** Whether a pulled part may replace the held one; without it, the node's own word always does. */
  replaces?(held: Part<T>, pulled: Part<T>): boolean;
}

/** What `mesh()` reads: fresh parts by node (sorted), and who answered (this node first) or is missing. */
export interface FreshParts<T> {
  readonly parts: ReadonlyArray<{ readonly id: string; readonly items: readonly T[] }>;
  readonly answered: string[];
  readonly missing: string[];
}

interface Copy<T> extends Part<T> {
  confirmedAt: number;
}

/**
 * Per-node copies of a part every meshchat node holds (its users, its file records), kept current by gossip.
 *
 * Each `GET /nodes` entry carries the version of its node's part as the reporter knows it; a node's own entry
 * carries its own. Anti-entropy already pulls one list per gossip interval; from it this engine learns versions
 * (`viewMerged`) and pulls a node's part only when it learns a version other than its copy's. At rest it sends
 * nothing of its own.
 *
 * Contracts:
 * - `fresh()` answers from the copies at once, never calling anyone. A node that showed a version and is not
 *   answered is in `missing`, never dropped: no copy yet, a copy not confirmed within `staleAfterMs`, or a
 *   node this node suspects or found dead. A node that left is dropped with its part.
 * - A copy is confirmed when a pulled list names its node alive at the copy's version, or when it is pulled.
 * - Bounded: versions are kept only for members; at most `maxItemsPerNode` of a node and `maxItems` in all; at
 *   most one pull per node in flight and `maxPullsInFlight` in all. A version more than a day ahead of the
 *   clock is ignored; a node's own word (its own entry, or its answer's version) replaces what others said of
 *   it, so a forged version costs at most one pull per gossip round.
 */
export class ReplicatedParts<T, A extends PulledAnswer> implements ViewListener {
  readonly #known = new Map<string, number>();
  readonly #copies = new Map<string, Copy<T>>();
  readonly #pulling = new Set<string>();
  #stopped = false;

  constructor(
    private readonly deps: {
      readonly registry: PeerRegistry;
      readonly clock: Clock;
      readonly errors?: InternalErrors;
    },
    private readonly source: PartSource<T, A>,
    private readonly settings: ReplicatedPartsSettings,
  ) {}

  /** The version this node knows for another node's part, if any. */
  knownVersion(id: string): number | undefined {
    return this.#known.get(id);
  }

  viewMerged(source: Member, reports: readonly GossipReport[]): void {
    if (this.#stopped) return;
    const { registry, clock } = this.deps;
    const now = clock.now();
    for (const report of reports) {
      const { id } = report;
      const version = this.source.reported(report);
      if (version === undefined || id === registry.self.id || !registry.get(id)) continue;
      if (!isPlausibleDirectoryVersion(version, now)) continue;
      const known = this.#known.get(id);
      if (id === source.id || known === undefined || version > known) this.#known.set(id, version);
      const copy = this.#copies.get(id);
      const alive = report.state === undefined || report.state === 'alive';
      if (copy && alive && copy.version === this.#known.get(id)) copy.confirmedAt = now;
    }
    this.#prune();
    this.#pullChanged();
  }

  fresh(): FreshParts<T> {
    const { registry, clock } = this.deps;
    this.#prune();
    const now = clock.now();
    const parts: Array<{ id: string; items: readonly T[] }> = [];
    const answered = [registry.self.id];
    const missing: string[] = [];
    const ids = new Set([...this.#known.keys(), ...this.#copies.keys()]);
    for (const id of [...ids].sort()) {
      const copy = this.#copies.get(id);
      const fresh =
        copy !== undefined &&
        registry.get(id)?.state === 'alive' &&
        now - copy.confirmedAt <= this.settings.staleAfterMs;
      if (fresh) {
        parts.push({ id, items: copy.items });
        answered.push(id);
      } else missing.push(id);
    }
    return { parts, answered, missing };
  }

  /**
   * Every copy held, fresh or stale, of nodes still known (for lookups that check what they find themselves,
   * such as a file's record, whose bytes are checked against it). Calls no one.
   */
  held(): ReadonlyArray<{ readonly id: string; readonly items: readonly T[] }> {
    this.#prune();
    return [...this.#copies.entries()].map(([id, copy]) => ({ id, items: copy.items }));
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
      // Any difference, not only a newer version: a node's own word may be lower than what was forged for it.
      if (copy === undefined || copy.version !== known) void this.#pull(member, known);
    }
  }

  async #pull(member: Member, asked: number): Promise<void> {
    const { clock, registry, errors } = this.deps;
    this.#pulling.add(member.id);
    try {
      const answer = await this.source.pull(member.url, { timeoutMs: this.settings.pullTimeoutMs });
      if (this.#stopped || registry.get(member.id)?.url !== member.url) return;
      const now = clock.now();
      const said = answer.version;
      const version = said !== undefined && isPlausibleDirectoryVersion(said, now) ? said : asked;
      const room = this.settings.maxItems - this.#heldItems(member.id);
      const max = Math.max(0, Math.min(this.settings.maxItemsPerNode, room));
      const part = { version, items: this.source.validate(answer, member.id, max) };
      const held = this.#copies.get(member.id);
      if (held && this.source.replaces && !this.source.replaces(held, part)) return;
      this.#known.set(member.id, version);
      this.#copies.set(member.id, { ...part, confirmedAt: now });
    } catch (error) {
      // A peer that failed to answer keeps its old copy; it is asked again at the next gossip round.
      if (!(error instanceof MeshError)) errors?.report(error);
    } finally {
      this.#pulling.delete(member.id);
    }
  }

  #heldItems(except: string): number {
    let count = 0;
    for (const [id, copy] of this.#copies) if (id !== except) count += copy.items.length;
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
