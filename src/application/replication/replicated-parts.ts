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
  /**
   * A copy kept in durable storage whose node is not a member is forgotten once it has gone unconfirmed this long
   * (counted from this node's start for a copy loaded at start). Without it, such a copy is forgotten at once.
   */
  readonly forgetAfterMs?: number;
}

/** A pulled answer, in the user's shape: the part's items and the version the node gives for them. */
export interface PulledAnswer {
  readonly version?: number;
}

/** What the engine knows of a held part; its items are the source's to keep. */
export interface HeldPart {
  readonly version: number;
  readonly items: number;
}

/**
 * What a user of the engine supplies: where versions are gossiped, how a part is pulled, checked and kept. `pull`
 * hands back the peer's answer as is (no wrapping: a pull's answer lands in the same tick as before).
 */
export interface PartSource<A extends PulledAnswer> {
  /** The version a `GET /nodes` entry gives for its node's part, if any (plain nodes give none). */
  reported(report: GossipReport): number | undefined;
  /** Fetches the part of the node at `url`; `held` is the copy this node has, for a source that pulls only changes. */
  pull(url: string, options: CallOptions, held: HeldPart | undefined): Promise<A>;
  /**
   * Keeps `answer` as the part of `node` at `version`, checking each item (peers may be hostile) and holding at
   * most `max` items of it. Returns how many items the part now has, or `undefined` when the answer may not
   * replace `held` (it is older): nothing was kept then.
   */
  keep(node: string, answer: A, version: number, held: HeldPart | undefined, max: number): number | undefined;
  /** Drops the part of `node`. */
  forget(node: string): void;
}

/**
 * What `fresh()` reads: who answered (this node first), whose part is held but not current (`stale`: older than
 * the version gossip gives, unconfirmed for too long, or its node suspect or found dead), and every node whose
 * current part is not held (`missing`, the stale ones included). Each list is sorted after this node.
 */
export interface FreshParts {
  readonly answered: string[];
  readonly stale: string[];
  readonly missing: string[];
}

interface Copy extends HeldPart {
  /** When a gossip round or a pull last confirmed the copy; 0 for one loaded at start and not yet confirmed. */
  confirmedAt: number;
  /** When the copy was loaded or pulled: a copy never confirmed is forgotten counting from here. */
  readonly since: number;
}

/**
 * Per-node copies of a part every meshchat node holds (its users, its file records), kept current by gossip.
 *
 * Each `GET /nodes` entry carries the version of its node's part as the reporter knows it; a node's own entry
 * carries its own. Anti-entropy already pulls one list per gossip interval; from it this engine learns versions
 * (`viewMerged`) and pulls a node's part only when it learns a version other than its copy's. At rest it sends
 * nothing of its own. The items themselves are kept by the source (in memory, or durable storage that hands its
 * copies back at start through `held`).
 *
 * Contracts:
 * - `fresh()` answers from the copies at once, never calling anyone. A node that showed a version and is not
 *   answered is in `missing`, never dropped: no copy yet, a copy older than the version gossip gives, a copy not
 *   confirmed within `staleAfterMs`, or a node this node suspects or found dead; those of them with a copy are
 *   also in `stale`. A node that left is dropped with its part.
 * - A copy is confirmed when a pulled list names its node alive at the copy's version, or when it is pulled.
 * - Bounded: versions are kept only for members; at most `maxItemsPerNode` of a node and `maxItems` in all; at
 *   most one pull per node in flight and `maxPullsInFlight` in all. A version more than a day ahead of the
 *   clock is ignored; a node's own word (its own entry, or its answer's version) replaces what others said of
 *   it, so a forged version costs at most one pull per gossip round.
 */
export class ReplicatedParts<A extends PulledAnswer> implements ViewListener {
  readonly #known = new Map<string, number>();
  readonly #copies = new Map<string, Copy>();
  readonly #pulling = new Set<string>();
  #stopped = false;

  constructor(
    private readonly deps: {
      readonly registry: PeerRegistry;
      readonly clock: Clock;
      readonly errors?: InternalErrors;
    },
    private readonly source: PartSource<A>,
    private readonly settings: ReplicatedPartsSettings,
    held: Iterable<readonly [string, HeldPart]> = [],
  ) {
    const since = deps.clock.now();
    for (const [id, part] of held) this.#copies.set(id, { ...part, confirmedAt: 0, since });
  }

  /** The version this node knows for another node's part, if any. */
  knownVersion(id: string): number | undefined {
    return this.#known.get(id);
  }

  /** The copy held of `id`'s part, if any. */
  held(id: string): HeldPart | undefined {
    const copy = this.#copies.get(id);
    return copy && { version: copy.version, items: copy.items };
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
      const copy = this.#copies.get(id);
      if (id === source.id) this.#known.set(id, version);
      else {
        // Another node's word is news only when newer than what this node knows, or than the copy it pulled
        // from that node itself (a durable copy after a restart): older gossip never sets off a pull.
        const floor = known ?? copy?.version;
        if (floor === undefined || version > floor) this.#known.set(id, version);
        else if (known === undefined) this.#known.set(id, floor);
      }
      const alive = report.state === undefined || report.state === 'alive';
      if (copy && alive && copy.version === version && version === this.#known.get(id))
        copy.confirmedAt = now;
    }
    this.#prune();
    this.#pullChanged();
  }

  fresh(): FreshParts {
    const { registry, clock } = this.deps;
    this.#prune();
    const now = clock.now();
    const answered = [registry.self.id];
    const stale: string[] = [];
    const missing: string[] = [];
    const ids = new Set([...this.#known.keys(), ...this.#copies.keys()]);
    for (const id of [...ids].sort()) {
      const copy = this.#copies.get(id);
      const state = registry.get(id)?.state ?? registry.tombstone(id)?.reason;
      // A durable copy of a node not (yet) in the membership, just after a restart, is not listed at all.
      if (state === undefined) continue;
      const known = this.#known.get(id);
      const current =
        copy !== undefined &&
        state === 'alive' &&
        (known === undefined || copy.version === known) &&
        now - copy.confirmedAt <= this.settings.staleAfterMs;
      if (current) answered.push(id);
      else {
        if (copy) stale.push(id);
        missing.push(id);
      }
    }
    return { answered, stale, missing };
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
      const held = this.held(member.id);
      const answer = await this.source.pull(member.url, { timeoutMs: this.settings.pullTimeoutMs }, held);
      if (this.#stopped || registry.get(member.id)?.url !== member.url) return;
      // The copy the pull was asked from went meanwhile (forgotten): a difference from it means nothing now.
      if (held !== undefined && this.held(member.id)?.version !== held.version) return;
      const now = clock.now();
      const said = answer.version;
      const version = said !== undefined && isPlausibleDirectoryVersion(said, now) ? said : asked;
      const room = this.settings.maxItems - this.#heldItems(member.id);
      const max = Math.max(0, Math.min(this.settings.maxItemsPerNode, room));
      const items = this.source.keep(member.id, answer, version, held, max);
      if (items === undefined) return;
      this.#known.set(member.id, version);
      this.#copies.set(member.id, { version, items, confirmedAt: now, since: now });
    } catch (error) {
      // A peer that failed to answer keeps its old copy; it is asked again at the next gossip round.
      if (!(error instanceof MeshError)) errors?.report(error);
    } finally {
      this.#pulling.delete(member.id);
    }
  }

  #heldItems(except: string): number {
    let count = 0;
    for (const [id, copy] of this.#copies) if (id !== except) count += copy.items;
    return count;
  }

  /**
   * Forgets nodes that are neither members nor found dead (they left, or their tombstone expired). With
   * `forgetAfterMs`, a copy of a node that is not a member and did not leave is kept that long unconfirmed: a
   * restarted node keeps its durable copies until its membership is rebuilt.
   */
  #prune(): void {
    const { registry, clock } = this.deps;
    const now = clock.now();
    const { forgetAfterMs } = this.settings;
    for (const id of this.#known.keys()) {
      if (!registry.get(id) && registry.tombstone(id)?.reason !== 'dead') this.#known.delete(id);
    }
    for (const [id, copy] of this.#copies) {
      if (registry.get(id)) continue;
      const grave = registry.tombstone(id)?.reason;
      if (grave === 'dead') continue;
      const last = Math.max(copy.confirmedAt, copy.since);
      if (grave === undefined && forgetAfterMs !== undefined && now - last <= forgetAfterMs) continue;
      this.#copies.delete(id);
      this.source.forget(id);
    }
  }
}
