import type { PeerRegistry } from '../../domain/peer-registry.js';
import type { Clock } from '../ports/clock.js';
import type { UserPush } from '../ports/user-push.js';
import type { MeshMap } from './mesh-map.js';

/** Users are sent the network map at most this often. */
export const MESH_PUSH_INTERVAL_MS = 1_000;

/**
 * Keeps what users see of the network current while the node runs: the node list after every turn in which
 * membership changed (one frame for a burst of changes in one turn), and the mesh map at most once per
 * `intervalMs`, sent at the end of the interval with the map as it is then. No map is built or pushed while no
 * user is connected: whoever connects later is sent it on connect.
 */
export class NetworkPush {
  #unsubscribe: (() => void)[] = [];
  #listScheduled = false;
  #meshScheduled = false;
  #meshPushedAt = Number.NEGATIVE_INFINITY;
  #stopped = false;

  constructor(
    private readonly deps: {
      registry: PeerRegistry;
      mesh: Pick<MeshMap, 'onChange' | 'snapshot'>;
      push: Pick<UserPush, 'pushNodes' | 'pushMesh' | 'connectedUsers'>;
      clock: Clock;
    },
    private readonly settings: { intervalMs: number } = { intervalMs: MESH_PUSH_INTERVAL_MS },
  ) {}

  start(): void {
    if (this.#unsubscribe.length > 0 || this.#stopped) return;
    this.#unsubscribe = [
      this.deps.registry.onChange(() => {
        this.#listChanged();
        this.#meshChanged();
      }),
      this.deps.mesh.onChange(() => this.#meshChanged()),
    ];
  }

  /** Stops listening; a push already scheduled is dropped. */
  stop(): void {
    this.#stopped = true;
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    this.#unsubscribe = [];
  }

  #listChanged(): void {
    if (this.#listScheduled) return;
    this.#listScheduled = true;
    queueMicrotask(() => {
      this.#listScheduled = false;
      if (!this.#stopped) this.deps.push.pushNodes(this.deps.registry.list());
    });
  }

  #meshChanged(): void {
    if (this.#meshScheduled) return;
    this.#meshScheduled = true;
    const { clock } = this.deps;
    const wait = Math.max(0, this.#meshPushedAt + this.settings.intervalMs - clock.now());
    void clock.sleep(wait).then(() => {
      this.#meshScheduled = false;
      if (this.#stopped) return;
      this.#meshPushedAt = clock.now();
      if (this.deps.push.connectedUsers > 0) this.deps.push.pushMesh(this.deps.mesh.snapshot());
    });
  }
}
