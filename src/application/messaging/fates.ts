import type { DeliveryStatus } from '../../domain/delivery.js';

type Final = Exclude<DeliveryStatus, 'queued'>;

const SEVERITY: Record<DeliveryStatus, number> = { queued: 0, delivered: 1, expired: 2, failed: 3 };

/**
 * How each message this node's users sent stands over all its copies (one per destination; a broadcast has
 * one per node): how many are still open, and the worst outcome so far. The status kept in history is
 * `queued` while copies are open and none failed, the worst outcome as soon as one copy expired or failed,
 * and `delivered` once every copy was delivered.
 */
export class Fates {
  /** A new Map each time it empties, so its tables stay young (see `Courier`'s parcels). */
  #open = new Map<string, { copies: number; worst: Final }>();

  /** One more open copy of message `id`; `worst` is what history already says of it (after a restart). */
  open(id: string, worst?: DeliveryStatus): void {
    const fate = this.#open.get(id);
    if (fate) fate.copies++;
    else
      this.#open.set(id, {
        copies: 1,
        worst: worst === 'expired' || worst === 'failed' ? worst : 'delivered',
      });
  }

  /**
   * A copy settled. Returns the status history should now show, or `undefined` when it does not change
   * (copies still open and nothing worse than before).
   */
  settle(id: string, status: Final): DeliveryStatus | undefined {
    const fate = this.#open.get(id);
    if (!fate) return status;
    fate.copies--;
    const worse = SEVERITY[status] > SEVERITY[fate.worst];
    if (worse) fate.worst = status;
    if (fate.copies > 0) return worse ? status : undefined;
    this.#open.delete(id);
    if (this.#open.size === 0) this.#open = new Map();
    return fate.worst;
  }
}
