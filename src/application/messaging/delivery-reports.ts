import type { DeliveryStatus, OutboxEntry, StatusUpdate } from '../../domain/delivery.js';
import type { Clock } from '../ports/clock.js';
import type { InternalErrors } from '../ports/internal-errors.js';
import type { MessageStore } from '../ports/message-store.js';
import type { UserPush } from '../ports/user-push.js';
import { Fates } from './fates.js';
import { HeldStatuses } from './held-statuses.js';
import type { Refusal } from './lane.js';

/**
 * What the courier tells about the copies of a message this node's users sent: each settled copy's status in
 * history (when the message's status changes) and as a status event to this node's users. A message's events
 * are held while its `send` is being answered, and released after a zero sleep on the clock, together with
 * every other send answered before then (one timer per burst, not one per message).
 */
export class DeliveryReports {
  readonly #fates = new Fates();
  readonly #statuses: HeldStatuses;
  #toRelease: string[] = [];

  constructor(
    private readonly deps: {
      readonly store: Pick<MessageStore, 'setStatus'>;
      readonly clock: Pick<Clock, 'sleep'>;
      readonly users: Pick<UserPush, 'pushStatus'>;
      readonly errors?: InternalErrors;
    },
  ) {
    this.#statuses = new HeldStatuses(deps.users);
  }

  /** Holds `id`'s status events until `releaseSoon(id)`. */
  hold(id: string): void {
    this.#statuses.hold(id);
  }

  /** Releases `id`'s held status events after a zero sleep, with every other id released before then. */
  releaseSoon(id: string): void {
    if (this.#toRelease.push(id) > 1) return;
    void this.deps.clock.sleep(0).then(() => {
      const ids = this.#toRelease;
      this.#toRelease = [];
      for (const held of ids) this.#statuses.release(held);
    });
  }

  /** A copy of message `id` is waiting (`told`: the status its sender already heard, after a restart). */
  open(id: string, told?: DeliveryStatus): void {
    this.#fates.open(id, told);
  }

  /** A copy has settled: history and users hear of it. */
  settled(entry: OutboxEntry, status: Exclude<DeliveryStatus, 'queued'>, error?: Refusal): void {
    const { id, to, fromUser } = entry.message;
    const update: StatusUpdate = {
      id,
      to,
      node: entry.node,
      status,
      ...(error ? { error: { code: error.code, message: error.message } } : {}),
      ...(fromUser === undefined ? {} : { fromUser }),
    };
    void this.tell(update, this.#fates.settle(id, status));
  }

  /** Records a sent message's new status in history (when it changed) and tells this node's users. */
  async tell(update: StatusUpdate, kept: DeliveryStatus | undefined): Promise<void> {
    try {
      const entry = kept === undefined ? undefined : await this.deps.store.setStatus(update.id, kept);
      this.#statuses.push(entry ? { ...update, seq: entry.seq } : update);
    } catch (error) {
      this.deps.errors?.report(error);
    }
  }
}
