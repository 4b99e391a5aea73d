import type { ChatMessage } from '../../domain/message.js';
import { shownToUsers } from '../../domain/message-signature.js';
import type { Clock } from '../ports/clock.js';
import type { MessageStore } from '../ports/message-store.js';
import type { Telemetry } from '../ports/telemetry.js';
import type { UserPush } from '../ports/user-push.js';

export interface LocalDelivery {
  readonly duplicate: boolean;
  /** How many user connections the message was handed to. */
  readonly users: number;
}

/**
 * Hands a message addressed to this node to every user connected to it, once per message id: the id and the
 * message are stored (de-duplication window and history) before anyone sees it, so a retry by some hop, even
 * after a restart, is dropped and reported as a duplicate, and a user who was away finds it in history.
 * What users get has no relay count and no signature; `verified` stays when the caller set it.
 */
export class DeliverLocally {
  constructor(
    private readonly deps: { push: UserPush; store: MessageStore; clock: Clock; telemetry?: Telemetry },
  ) {}

  async execute(message: ChatMessage): Promise<LocalDelivery> {
    const forUsers = shownToUsers(message, message.verified === true);
    const entry = await this.deps.store.accept(forUsers, this.deps.clock.now());
    if (!entry) return { duplicate: true, users: 0 };
    this.deps.telemetry?.deliveredLocally(forUsers);
    return { duplicate: false, users: this.deps.push.pushMessage(entry) };
  }
}
