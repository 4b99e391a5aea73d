import type { ChatMessage } from '../domain/message.js';
import type { RecentIds } from '../domain/recent-ids.js';
import type { UserPush } from './ports/user-push.js';

export interface LocalDelivery {
  readonly duplicate: boolean;
  /** How many user connections the message was handed to. */
  readonly users: number;
}

/**
 * Hands a message addressed to this node to every user connected to it, once per message id: a second copy
 * of an id already delivered (a retry by some hop) is dropped and reported as a duplicate.
 */
export class DeliverLocally {
  constructor(private readonly deps: { push: UserPush; seen: RecentIds }) {}

  execute(message: ChatMessage): LocalDelivery {
    if (!this.deps.seen.add(message.id)) return { duplicate: true, users: 0 };
    const { hops: _relayCount, ...forUsers } = message;
    return { duplicate: false, users: this.deps.push.pushMessage(forUsers) };
  }
}
