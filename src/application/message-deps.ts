import type { PeerRegistry } from '../domain/peer-registry.js';
import type { DeliverLocally } from './deliver-locally.js';
import type { Clock } from './ports/clock.js';
import type { IdGenerator } from './ports/id-generator.js';
import type { PeerClient } from './ports/peer-client.js';

/** What the use cases that move messages (from users, from peers) work with. */
export interface MessageDeps {
  readonly registry: PeerRegistry;
  readonly peers: PeerClient;
  readonly local: DeliverLocally;
  readonly clock: Clock;
  readonly ids: IdGenerator;
}
