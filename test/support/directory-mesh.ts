import type { DirectorySettings } from '../../src/application/directory/directory-settings.js';
import type { MeshUsers } from '../../src/application/directory/mesh-directory.js';
import type { MembershipSettings } from '../../src/application/membership/settings.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { createMemoryNode, InMemoryNetwork, type MemoryNode } from '../fakes/in-memory-network.js';
import { seededRandom } from '../fakes/seeded-random.js';

const STEP_MS = 100;

/**
 * Memory nodes on one fake clock, joined through the first, membership running: the mesh directory as it runs
 * on real nodes, with a count of the `GET /users` pulls each node received and of every peer call.
 */
export class DirectoryMesh {
  readonly clock = new FakeClock();
  readonly net = new InMemoryNetwork({ clock: this.clock, random: seededRandom(12) });
  readonly nodes: MemoryNode[] = [];
  /** `GET /users` calls received, per node id. */
  readonly pulls = new Map<string, number>();
  elapsed = 0;

  constructor(
    private readonly options: {
      membership?: Partial<MembershipSettings>;
      directory?: Partial<DirectorySettings>;
      /** Give every node a file catalog and the mesh catalog (`catalogPulls` counts its pulls). */
      files?: boolean;
    } = {},
  ) {}

  /** `GET /files/catalog` calls received, per node id. */
  readonly catalogPulls = new Map<string, number>();
  /** Records sent in `GET /files/catalog` answers, whole catalogs and differences apart. */
  readonly catalogRecords = { full: 0, diff: 0 };

  add(id: string): MemoryNode {
    const node = createMemoryNode(this.net, id, {
      clock: this.clock,
      random: seededRandom(this.nodes.length + 1),
      incarnation: 1,
      membership: this.options.membership,
      directory: this.options.directory,
      files: this.options.files,
    });
    const { listCatalog } = node.api;
    // Counts the pulls this node serves, as its HTTP API would see them.
    this.net.register(node.url, {
      ...node.api,
      listUsers: () => {
        this.pulls.set(id, (this.pulls.get(id) ?? 0) + 1);
        return node.api.listUsers();
      },
      ...(listCatalog
        ? {
            listCatalog: (since?: number) => {
              this.catalogPulls.set(id, (this.catalogPulls.get(id) ?? 0) + 1);
              const answer = listCatalog(since);
              const kind = 'since' in answer ? 'diff' : 'full';
              this.catalogRecords[kind] += answer.files.length;
              return answer;
            },
          }
        : {}),
    });
    this.nodes.push(node);
    return node;
  }

  static async of(
    count: number,
    options: ConstructorParameters<typeof DirectoryMesh>[0] = {},
  ): Promise<DirectoryMesh> {
    const mesh = new DirectoryMesh(options);
    const nodes = Array.from({ length: count }, (_, i) => mesh.add(`n${String(i).padStart(2, '0')}`));
    for (const node of nodes.slice(1)) await node.join.execute([(nodes[0] as MemoryNode).url]);
    for (const node of nodes) node.membership.start();
    return mesh;
  }

  node(index: number): MemoryNode {
    const node = this.nodes[index];
    if (!node) throw new Error(`no node ${index}`);
    return node;
  }

  totalPulls(): number {
    return [...this.pulls.values()].reduce((a, b) => a + b, 0);
  }

  /** Moves the fake clock in small steps until `done` holds or `limitMs` passes; returns the time taken. */
  async runUntil(done: () => boolean, limitMs: number): Promise<number> {
    const start = this.elapsed;
    while (!done()) {
      if (this.elapsed - start >= limitMs) return Number.POSITIVE_INFINITY;
      await this.clock.advance(STEP_MS);
      this.elapsed += STEP_MS;
    }
    return this.elapsed - start;
  }

  /** Moves the fake clock `ms` forward in steps of `stepMs`. */
  async run(ms: number, stepMs = STEP_MS): Promise<void> {
    for (let t = 0; t < ms; t += stepMs) {
      await this.clock.advance(stepMs);
      this.elapsed += stepMs;
    }
  }

  stop(): void {
    for (const node of this.nodes) {
      void node.membership.stop();
      node.directory.stop();
      node.catalog?.meshCatalog.stop();
    }
  }
}

/** Gives `node` the users `names` (in its account store), all offline. */
export function addUsers(node: MemoryNode, ...names: string[]): void {
  for (const name of names) node.accounts.createAccount({ name, passwordHash: 'unused', createdAt: 0 });
}

/** `user@node` → online, as one node's mesh directory lists it. */
export function presenceOf(view: MeshUsers): Record<string, boolean> {
  return Object.fromEntries(view.users.map((u) => [u.user, u.online]));
}
