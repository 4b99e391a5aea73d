import { Courier } from '../application/messaging/courier.js';
import { DeliverDirect, type Recipients } from '../application/messaging/deliver-direct.js';
import { DeliverLocally } from '../application/messaging/deliver-locally.js';
import type { DeliverySettings } from '../application/messaging/delivery-settings.js';
import { ForwardMessage } from '../application/messaging/forward-message.js';
import { ReadHistory } from '../application/messaging/read-history.js';
import { ReceiveMessage } from '../application/messaging/receive-message.js';
import { ReceiveMessages } from '../application/messaging/receive-messages.js';
import type { Clock } from '../application/ports/clock.js';
import type { IdGenerator } from '../application/ports/id-generator.js';
import type { Inbox } from '../application/ports/inbox.js';
import type { InternalErrors } from '../application/ports/internal-errors.js';
import type { MessageStore } from '../application/ports/message-store.js';
import type { PeerClient } from '../application/ports/peer-client.js';
import type { Telemetry } from '../application/ports/telemetry.js';
import type { UserPush } from '../application/ports/user-push.js';
import type { PeerRegistry } from '../domain/peer-registry.js';

export interface MessagingParts {
  readonly registry: PeerRegistry;
  readonly peers: PeerClient;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  /** Outbox, history and seen ids. */
  readonly store: MessageStore;
  /** This node's users, over every front end. */
  readonly push: UserPush;
  readonly random?: () => number;
  readonly errors?: InternalErrors;
  readonly telemetry?: Telemetry;
  /**
   * Direct messages to this node's users: where they wait while the user is offline, and who the users are.
   * Without both, the node takes no direct messages (`unknown_user`).
   */
  readonly inbox?: Inbox;
  readonly recipients?: Recipients;
}

/** Moving messages: from users and peers, to this node's users and through the outbox to other nodes. */
export interface MessagingWiring {
  readonly courier: Courier;
  readonly local: DeliverLocally;
  readonly direct?: DeliverDirect;
  /** What a user connection is sent on connect (and, on `/ws`, after it logged in). */
  readonly readHistory: ReadHistory;
  readonly forward: ForwardMessage;
  readonly receive: ReceiveMessage;
  readonly receiveMany: ReceiveMessages;
}

export function wireMessaging(
  parts: MessagingParts,
  settings: {
    readonly delivery?: Partial<DeliverySettings>;
    readonly inboxLimit?: number;
    readonly historyPage?: number;
  },
): MessagingWiring {
  const { registry, peers, clock, ids, store, push, random, errors, telemetry, inbox, recipients } = parts;
  const courier = new Courier(
    { registry, peers, store, clock, random, users: push, errors, telemetry },
    settings.delivery,
  );
  const local = new DeliverLocally({ push, store, clock, telemetry });
  const direct =
    inbox && recipients
      ? new DeliverDirect(
          { node: registry.self.id, store, inbox, recipients, push, clock, telemetry },
          { inboxLimit: settings.inboxLimit },
        )
      : undefined;
  const deps = { registry, courier, local, direct, clock, ids, telemetry };
  const receive = new ReceiveMessage(deps);
  return {
    courier,
    local,
    direct,
    readHistory: new ReadHistory({ store, inbox }, { page: settings.historyPage }),
    forward: new ForwardMessage(deps),
    receive,
    receiveMany: new ReceiveMessages({ receive }),
  };
}
