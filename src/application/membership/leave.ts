import type { PeerRegistry } from '../../domain/peer-registry.js';
import { PeerCallFailed } from '../errors.js';
import type { Clock } from '../ports/clock.js';
import type { PeerClient } from '../ports/peer-client.js';
import type { NodeKeys } from './node-keys.js';

export const LEAVE_TIMEOUT_MS = 3_000;

export interface LeaveResult {
  /** Ids of the nodes that confirmed this node's `DELETE /nodes/:id`. */
  readonly notified: string[];
  /** Ids of the nodes that refused, failed or had not answered when the timeout struck. */
  readonly unreachable: string[];
}

/**
 * Tells every known node that this node leaves (`DELETE /nodes/<own id> {url}`), all at once, waiting at most
 * `timeoutMs`. A peer that answers 404 (it no longer lists this node) counts as notified. Idempotent: later calls return the first call's outcome without calling anyone again.
 */
export class Leave {
  #outcome: Promise<LeaveResult> | undefined;

  constructor(
    private readonly deps: { registry: PeerRegistry; peers: PeerClient; clock: Clock; keys?: NodeKeys },
    private readonly settings: { timeoutMs?: number } = {},
  ) {}

  execute(): Promise<LeaveResult> {
    this.#outcome ??= this.#leave();
    return this.#outcome;
  }

  async #leave(): Promise<LeaveResult> {
    const { registry, peers, clock } = this.deps;
    const { id, url, incarnation } = registry.self;
    const self = this.deps.keys?.sign('leave', { id, url, incarnation }) ?? { id, url };
    const targets = registry.peers();
    const notified = new Set<string>();
    const calls = targets.map((node) =>
      peers.withdraw(node.url, self).then(
        () => void notified.add(node.id),
        (error: unknown) => {
          // A peer that no longer lists this node has already let it go.
          if (error instanceof PeerCallFailed && error.status === 404) notified.add(node.id);
        },
      ),
    );
    await Promise.race([Promise.all(calls), clock.sleep(this.settings.timeoutMs ?? LEAVE_TIMEOUT_MS)]);
    const done = [...notified].sort();
    return { notified: done, unreachable: targets.map((n) => n.id).filter((id) => !notified.has(id)) };
  }
}
