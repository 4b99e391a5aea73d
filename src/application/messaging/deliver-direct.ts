import { formatUserAddress, parseUserAddress } from '../../domain/account.js';
import type { ChatMessage } from '../../domain/message.js';
import { shownToUsers } from '../../domain/message-signature.js';
import type { Clock } from '../ports/clock.js';
import type { Inbox } from '../ports/inbox.js';
import type { MessageStore } from '../ports/message-store.js';
import type { Telemetry } from '../ports/telemetry.js';
import type { UserPush } from '../ports/user-push.js';
import type { LocalDelivery } from './deliver-locally.js';
import { InboxFull, UnknownUser } from './direct-errors.js';

/** Unread direct messages one user's inbox holds; one more is refused with `inbox_full`. */
export const DEFAULT_INBOX_LIMIT = 1000;

/** What a home node knows of its users, as direct delivery needs it (the accounts and `Presence`). */
export interface Recipients {
  /** Whether `name` (lower-case) has an account on this node. */
  exists(name: string): boolean;
  /** Whether `name` has a logged-in connection open now. */
  isOnline(name: string): boolean;
}

export interface DeliverDirectDeps {
  /** This node's id: the home node of the users it delivers to. */
  readonly node: string;
  readonly store: MessageStore;
  readonly inbox: Inbox;
  readonly recipients: Recipients;
  readonly push: Pick<UserPush, 'pushMessage'>;
  readonly clock: Clock;
  readonly telemetry?: Telemetry;
}

/**
 * A direct message on its recipient's home node, once per message id. The id and the message are stored (the
 * node's de-duplication window and history) before anyone sees it; it is then pushed, and the front ends hand
 * it only to the connections of its recipient and its sender (`audienceOf`). When the recipient has no
 * connection open, it is also kept in their inbox, which the front ends empty into the next connection.
 *
 * Throws `UnknownUser` for a name without an account here (or an address of another node), and `InboxFull`
 * when the recipient is offline and their inbox holds `inboxLimit` messages. Messages being stored count
 * against the limit, so a burst cannot overfill it.
 *
 * The inbox is written in the turn after the message store commits; a crash in between leaves the message in
 * history only, where the recipient still finds it on connect (their cursor is below it) unless the history
 * cap pushed it out first.
 */
export class DeliverDirect {
  readonly #reserved = new Map<string, number>();
  readonly inboxLimit: number;

  constructor(
    private readonly deps: DeliverDirectDeps,
    settings: { readonly inboxLimit?: number } = {},
  ) {
    this.inboxLimit = settings.inboxLimit ?? DEFAULT_INBOX_LIMIT;
  }

  /** `origin`: the sending connection on this node, which hears of the message through its ack instead. */
  async execute(message: ChatMessage, origin?: string): Promise<LocalDelivery> {
    const { node, store, inbox, recipients, push, clock, telemetry } = this.deps;
    const address = parseUserAddress(message.to);
    const to = formatUserAddress(address);
    if (address.node !== node || !recipients.exists(address.name)) throw new UnknownUser(to);
    if (store.seen(message.id)) return { duplicate: true, users: 0 };
    const reserved = this.#reserved.get(address.name) ?? 0;
    if (!recipients.isOnline(address.name) && inbox.count(address.name) + reserved >= this.inboxLimit) {
      throw new InboxFull(to, this.inboxLimit);
    }
    this.#reserved.set(address.name, reserved + 1);
    const forUsers = shownToUsers({ ...message, to }, message.verified === true);
    let entry: Awaited<ReturnType<MessageStore['accept']>>;
    try {
      entry = await store.accept(forUsers, clock.now());
    } finally {
      const left = (this.#reserved.get(address.name) ?? 1) - 1;
      if (left > 0) this.#reserved.set(address.name, left);
      else this.#reserved.delete(address.name);
    }
    if (!entry) return { duplicate: true, users: 0 };
    telemetry?.deliveredLocally(forUsers);
    // Presence is asked after the store wrote: a connection that opened meanwhile read the entry in its history.
    if (!recipients.isOnline(address.name)) inbox.add(address.name, entry);
    return { duplicate: false, users: push.pushMessage(entry, origin) };
  }
}
