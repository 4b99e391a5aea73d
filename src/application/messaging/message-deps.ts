import type { PeerRegistry } from '../../domain/peer-registry.js';
import type { Clock } from '../ports/clock.js';
import type { IdGenerator } from '../ports/id-generator.js';
import type { Telemetry } from '../ports/telemetry.js';
import type { Courier } from './courier.js';
import type { DeliverDirect } from './deliver-direct.js';
import type { DeliverLocally } from './deliver-locally.js';
import type { MessageSignatures } from './message-signatures.js';

/** What the use cases that move messages (from users, from peers) work with. */
export interface MessageDeps {
  readonly registry: PeerRegistry;
  readonly courier: Courier;
  readonly local: DeliverLocally;
  /** Direct messages to this node's users; a node without accounts has none and refuses them. */
  readonly direct?: DeliverDirect;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  /** Told of every message accepted (metrics, audit log); nobody by default. */
  readonly telemetry?: Telemetry;
  /** Signs what this node originates and checks what keyed nodes sent; without it nothing is (base rules). */
  readonly signatures?: MessageSignatures;
}
