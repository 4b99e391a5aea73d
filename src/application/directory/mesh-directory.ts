import { type DirectoryUser, isPlausibleDirectoryVersion, ownedUsers } from '../../domain/directory.js';
import { MeshError } from '../../domain/errors.js';
import type { Member, PeerRegistry } from '../../domain/peer-registry.js';
import type { ViewListener } from '../membership/view-listener.js';
import type { Clock } from '../ports/clock.js';
import type { InternalErrors } from '../ports/internal-errors.js';
import type { GossipReport, PeerClient } from '../ports/peer-client.js';
import type { DirectorySettings } from './directory-settings.js';
import type { OwnDirectory } from './own-directory.js';

/** `GET /users?scope=mesh`: every meshchat node's users, the nodes they come from, and those left out. */
export interface MeshUsers {
  readonly users: DirectoryUser[];
  /** This node, and every node whose copy is current: its users are in `users`. */
  readonly answered: string[];
  /** Meshchat nodes with accounts whose copy is missing, too old, or whose node is suspect or found dead. */
  readonly missing: string[];
}

interface Copy {
  readonly version: number;
  readonly users: DirectoryUser[];
  /** When this node last had word that `version` is still the node's current one. */
  confirmedAt: number;
}

/**
 * The replicated mesh directory: a copy of every other meshchat node's user list, kept current by gossip.
 *
 * Each `GET /nodes` entry of a meshchat node with accounts carries `directory`, the version of that node's list
 * as the reporter knows it; a node's own entry carries its own. Anti-entropy already pulls one list per gossip
 * interval; from it this engine learns versions (`viewMerged`) and pulls `GET /users` from a node only when it
 * learns a version other than its copy's. So at rest the directory sends nothing of its own.
 *
 * Contracts:
 * - `mesh()` answers from the copies at once, never calling anyone. A node that showed a version (so it has
 *   accounts) and is not answered is in `missing`, never dropped: no copy yet, a copy not confirmed within
 *   `staleAfterMs`, or a node this node suspects or found dead. A node that left is dropped with its users;
 *   plain nodes send no version, so they are neither asked nor listed.
 * - A copy is confirmed when a pulled list names its node alive at the copy's version (its own list or any
 *   member's), or when it is pulled.
 * - Bounded: versions are kept only for members; at most `maxUsersPerNode` of a node and `maxUsers` in all;
 *   only addresses of the node itself are taken from it; at most one pull per node in flight and
 *   `maxPullsInFlight` in all. A version more than a day ahead of the clock is ignored; a node's own word
 *   (its own entry, or its answer's version) replaces what others said of it, so a forged version costs at
 *   most one pull per gossip round.
 */
export class MeshDirectory implements ViewListener {
  readonly #known = new Map<string, number>();
  readonly #copies = new Map<string, Copy>();
  readonly #pulling = new Set<string>();
  #stopped = false;

  constructor(
    private readonly deps: {
      readonly registry: PeerRegistry;
      readonly peers: PeerClient;
      readonly clock: Clock;
      readonly own: OwnDirectory;
      readonly errors?: InternalErrors;
    },
    private readonly settings: DirectorySettings,
  ) {}

  /** The directory version this node gives for `id` in its `GET /nodes` answer, if it knows one. */
  versionOf(id: string): number | undefined {
    if (id === this.deps.registry.self.id) return this.deps.own.snapshot().version;
    return this.#known.get(id);
  }

  viewMerged(source: Member, reports: readonly GossipReport[]): void {
    if (this.#stopped) return;
    const { registry, clock } = this.deps;
    const now = clock.now();
    for (const report of reports) {
      const { id, directory } = report;
      if (directory === undefined || id === registry.self.id || !registry.get(id)) continue;
      if (!isPlausibleDirectoryVersion(directory, now)) continue;
      const known = this.#known.get(id);
      if (id === source.id || known === undefined || directory > known) this.#known.set(id, directory);
      const copy = this.#copies.get(id);
      const alive = report.state === undefined || report.state === 'alive';
      if (copy && alive && copy.version === this.#known.get(id)) copy.confirmedAt = now;
    }
    this.#prune();
    this.#pullChanged();
  }

  mesh(): MeshUsers {
    const { registry, clock, own } = this.deps;
    this.#prune();
    const now = clock.now();
    const users = [...own.snapshot().users];
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
        users.push(...copy.users);
        answered.push(id);
      } else missing.push(id);
    }
    return { users, answered, missing };
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
    const { peers, clock, registry, errors } = this.deps;
    this.#pulling.add(member.id);
    try {
      const answer = await peers.listUsers(member.url, { timeoutMs: this.settings.pullTimeoutMs });
      if (this.#stopped || registry.get(member.id)?.url !== member.url) return;
      const now = clock.now();
      const said = answer.version;
      const version = said !== undefined && isPlausibleDirectoryVersion(said, now) ? said : asked;
      this.#known.set(member.id, version);
      const room = this.settings.maxUsers - this.#heldUsers(member.id);
      const max = Math.max(0, Math.min(this.settings.maxUsersPerNode, room));
      this.#copies.set(member.id, {
        version,
        users: ownedUsers(member.id, answer.users, max),
        confirmedAt: now,
      });
    } catch (error) {
      // A peer that failed to answer keeps its old copy; it is asked again at the next gossip round.
      if (!(error instanceof MeshError)) errors?.report(error);
    } finally {
      this.#pulling.delete(member.id);
    }
  }

  #heldUsers(except: string): number {
    let count = 0;
    for (const [id, copy] of this.#copies) if (id !== except) count += copy.users.length;
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
