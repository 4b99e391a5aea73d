import { Courier } from '../application/messaging/courier.js';
import { DeliverLocally } from '../application/messaging/deliver-locally.js';
import type { DeliverySettings } from '../application/messaging/delivery-settings.js';
import { ForwardMessage } from '../application/messaging/forward-message.js';
import { ReceiveMessage } from '../application/messaging/receive-message.js';
import { ReceiveMessages } from '../application/messaging/receive-messages.js';
import type { Clock } from '../application/ports/clock.js';
import type { IdGenerator } from '../application/ports/id-generator.js';
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
}

/** Moving messages: from users and peers, to this node's users and through the outbox to other nodes. */
export interface MessagingWiring {
  readonly courier: Courier;
  readonly local: DeliverLocally;
  readonly forward: ForwardMessage;
  readonly receive: ReceiveMessage;
  readonly receiveMany: ReceiveMessages;
}

export function wireMessaging(
  parts: MessagingParts,
  settings: { readonly delivery?: Partial<DeliverySettings> },
): MessagingWiring {
  const { registry, peers, clock, ids, store, push, random, errors, telemetry } = parts;
  const courier = new Courier(
    { registry, peers, store, clock, random, users: push, errors, telemetry },
    settings.delivery,
  );
  const local = new DeliverLocally({ push, store, clock, telemetry });
  const deps = { registry, courier, local, clock, ids, telemetry };
  const receive = new ReceiveMessage(deps);
  return {
    courier,
    local,
    forward: new ForwardMessage(deps),
    receive,
    receiveMany: new ReceiveMessages({ receive }),
  };
}
