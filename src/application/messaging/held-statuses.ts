import type { StatusUpdate } from '../../domain/delivery.js';
import type { UserPush } from '../ports/user-push.js';

/**
 * Status updates on their way to this node's users, held back for the messages whose sender has not had its
 * acknowledgement yet. A message held by several sends at once is released by the last of them; updates of a
 * message that is not held go out at once. Updates of one message keep their order.
 */
export class HeldStatuses {
  /** A new Map each time it empties, so its tables stay young (see `Courier`'s parcels). */
  #held = new Map<string, { holds: number; updates: StatusUpdate[] }>();

  constructor(private readonly users: Pick<UserPush, 'pushStatus'>) {}

  hold(id: string): void {
    const held = this.#held.get(id);
    if (held) held.holds++;
    else this.#held.set(id, { holds: 1, updates: [] });
  }

  release(id: string): void {
    const held = this.#held.get(id);
    if (!held || --held.holds > 0) return;
    this.#held.delete(id);
    if (this.#held.size === 0) this.#held = new Map();
    for (const update of held.updates) this.users.pushStatus(update);
  }

  push(update: StatusUpdate): void {
    const held = this.#held.get(update.id);
    if (held) held.updates.push(update);
    else this.users.pushStatus(update);
  }
}
