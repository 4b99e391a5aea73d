import { type DirectoryUser, ownedUsers } from '../../domain/directory.js';
import type { Member, PeerRegistry } from '../../domain/peer-registry.js';
import type { ViewListener } from '../membership/view-listener.js';
import type { Clock } from '../ports/clock.js';
import type { InternalErrors } from '../ports/internal-errors.js';
import type { GossipReport, PeerClient, UserListAnswer } from '../ports/peer-client.js';
import { ReplicatedParts } from '../replication/replicated-parts.js';
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

/**
 * The replicated mesh directory: a copy of every other meshchat node's user list, kept current by gossip.
 *
 * Each `GET /nodes` entry of a meshchat node with accounts carries `directory`, the version of that node's list
 * as the reporter knows it; a node's own entry carries its own. `ReplicatedParts` keeps the copies (pulling
 * `GET /users` only on a version change, staleness, bounds, forged versions: its contracts hold here); this
 * class adds what is the directory's own: only users of the node itself are taken from it (`ownedUsers`), at
 * most `maxUsersPerNode` of a node and `maxUsers` in all, and `mesh()` puts this node's users first. Plain nodes
 * send no version, so they are neither asked nor listed.
 */
export class MeshDirectory implements ViewListener {
  readonly #parts: ReplicatedParts<UserListAnswer>;
  /** The users of each node whose copy is held, in memory (a restart pulls them again). */
  readonly #users = new Map<string, readonly DirectoryUser[]>();

  constructor(
    private readonly deps: {
      readonly registry: PeerRegistry;
      readonly peers: PeerClient;
      readonly clock: Clock;
      readonly own: OwnDirectory;
      readonly errors?: InternalErrors;
    },
    settings: DirectorySettings,
  ) {
    const { registry, peers, clock, errors } = deps;
    this.#parts = new ReplicatedParts(
      { registry, clock, errors },
      {
        reported: (report) => report.directory,
        pull: (url, options) => peers.listUsers(url, options),
        // The node's own word always replaces its copy.
        keep: (node, answer, _version, _held, max) => {
          const users = ownedUsers(node, answer.users, max);
          this.#users.set(node, users);
          return users.length;
        },
        forget: (node) => this.#users.delete(node),
      },
      { ...settings, maxItemsPerNode: settings.maxUsersPerNode, maxItems: settings.maxUsers },
    );
  }

  /** The directory version this node gives for `id` in its `GET /nodes` answer, if it knows one. */
  versionOf(id: string): number | undefined {
    if (id === this.deps.registry.self.id) return this.deps.own.snapshot().version;
    return this.#parts.knownVersion(id);
  }

  viewMerged(source: Member, reports: readonly GossipReport[]): void {
    this.#parts.viewMerged(source, reports);
  }

  mesh(): MeshUsers {
    const { answered, missing } = this.#parts.fresh();
    const users = [...this.deps.own.snapshot().users];
    for (const id of answered.slice(1)) users.push(...(this.#users.get(id) ?? []));
    return { users, answered, missing };
  }

  /** After this, answers still in flight change nothing. */
  stop(): void {
    this.#parts.stop();
  }
}
