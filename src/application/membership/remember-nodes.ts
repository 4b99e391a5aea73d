import type { NodeReport, PeerRegistry } from '../../domain/peer-registry.js';
import type { Clock } from '../ports/clock.js';
import type { InternalErrors } from '../ports/internal-errors.js';
import type { MembershipStore, RememberedMembership } from '../ports/membership-store.js';
import type { NodeKeys } from './node-keys.js';
import type { MembershipSettings } from './settings.js';

/** How many nodes found dead or gone are remembered across a restart, besides every member. */
export const MAX_REMEMBERED_DEAD = 256;

/**
 * The incarnation a node starts with: above the last one it stored and, should its data dir be lost, above any
 * earlier start's (incarnations taken from the clock grow with every start).
 */
export function startIncarnation(remembered: RememberedMembership | undefined, now: number): number {
  return Math.max(now, (remembered?.incarnation ?? 0) + 1);
}

/**
 * Writes the known-node list and this node's incarnation to the store when they change (at most once per save
 * interval, and once more on stop), so a restarted node can rejoin through any node it knew.
 */
export class RememberNodes {
  #dirty = false;
  #stopped = false;
  #unsubscribe: (() => void) | undefined;

  constructor(
    private readonly deps: {
      registry: PeerRegistry;
      store: MembershipStore;
      clock: Clock;
      errors?: InternalErrors;
      /** Key bindings saved with the list (a binding comes with a registry change, which marks it dirty). */
      keys?: NodeKeys;
    },
    private readonly settings: Pick<MembershipSettings, 'saveIntervalMs'>,
  ) {}

  start(): void {
    if (this.#unsubscribe || this.#stopped) return;
    this.#dirty = true;
    this.#unsubscribe = this.deps.registry.onChange(() => {
      this.#dirty = true;
    });
    void this.#loop();
  }

  /** Saves a last time and closes the store. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#unsubscribe?.();
    try {
      this.#flush();
    } catch (error) {
      this.deps.errors?.report(error);
    }
    this.deps.store.close();
  }

  #flush(): void {
    if (!this.#dirty) return;
    this.#dirty = false;
    const { registry, store } = this.deps;
    const record = ({ id, url, incarnation }: NodeReport): NodeReport =>
      incarnation === undefined ? { id, url } : { id, url, incarnation };
    // Nodes found dead are kept too (newest first, a bounded number): a node restarted while the network is
    // unreachable must still know whom to try when it comes back. So are nodes that left: when a whole network
    // is stopped, each node hears the others leave, and one that remembered nobody would otherwise come back
    // alone, with nobody remembering it either. The restart asks them, then keeps trying them as found dead.
    const dead = registry
      .tombstones()
      .sort((a, b) => b.since - a.since)
      .slice(0, MAX_REMEMBERED_DEAD);
    store.save({
      incarnation: registry.self.incarnation,
      nodes: [...registry.peers().map(record), ...dead.map((t) => ({ ...record(t), state: t.reason }))],
      ...(this.deps.keys ? { keys: this.deps.keys.bindings() } : {}),
    });
  }

  async #loop(): Promise<void> {
    while (!this.#stopped) {
      try {
        this.#flush();
      } catch (error) {
        // A failed write (disk full, ...) is reported and retried; the node keeps running.
        this.#dirty = true;
        this.deps.errors?.report(error);
      }
      await this.deps.clock.sleep(this.settings.saveIntervalMs);
    }
  }
}
