import { AnnounceNode } from '../application/membership/announce-node.js';
import { JoinNetwork } from '../application/membership/join-network.js';
import { Leave } from '../application/membership/leave.js';
import { MembershipProtocol } from '../application/membership/membership-protocol.js';
import type { NodeKeys } from '../application/membership/node-keys.js';
import { ProbeForPeer } from '../application/membership/probe-for-peer.js';
import { RememberNodes } from '../application/membership/remember-nodes.js';
import { RemoveNode } from '../application/membership/remove-node.js';
import type { MembershipSettings } from '../application/membership/settings.js';
import type { ViewListener } from '../application/membership/view-listener.js';
import type { Clock } from '../application/ports/clock.js';
import type { InternalErrors } from '../application/ports/internal-errors.js';
import type { MembershipStore } from '../application/ports/membership-store.js';
import type { PeerClient } from '../application/ports/peer-client.js';
import type { Telemetry } from '../application/ports/telemetry.js';
import type { PeerRegistry } from '../domain/peer-registry.js';
import type { PeerUrlPolicy } from '../domain/peer-url-policy.js';

export interface MembershipParts {
  readonly registry: PeerRegistry;
  readonly peers: PeerClient;
  readonly clock: Clock;
  /** Where the known-node list is saved for a restart. */
  readonly store: MembershipStore;
  readonly random?: () => number;
  readonly errors?: InternalErrors;
  readonly telemetry?: Telemetry;
  /** Peer URLs this node refuses to take in, probe or pass on; every URL when absent. */
  readonly urls?: PeerUrlPolicy;
  /** Told of each gossiped list after it is merged (the mesh directory). */
  readonly views?: ViewListener;
  /** Signed node identity (SPEC section 7); a node without it signs nothing and takes records as unsigned. */
  readonly keys?: NodeKeys;
}

export interface MembershipSettingsOfNode {
  /** Over the `lan` profile. */
  readonly membership?: Partial<MembershipSettings>;
  readonly leaveTimeoutMs?: number;
}

/** Who is in the network: the protocol that keeps the list, and the use cases that change it. */
export interface MembershipWiring {
  readonly membership: MembershipProtocol;
  readonly remember: RememberNodes;
  readonly join: JoinNetwork;
  readonly leave: Leave;
  readonly announce: AnnounceNode;
  readonly remove: RemoveNode;
  readonly probe: ProbeForPeer;
  /** Signed node identity, when the node has a verifier. */
  readonly keys?: NodeKeys;
}

export function wireMembership(parts: MembershipParts, settings: MembershipSettingsOfNode): MembershipWiring {
  const { registry, peers, clock, store, random, errors, telemetry, urls, views, keys } = parts;
  const membership = new MembershipProtocol(
    { registry, peers, clock, random, errors, telemetry, urls, views, keys },
    settings.membership,
  );
  return {
    membership,
    remember: new RememberNodes({ registry, store, clock, errors, keys }, membership.settings),
    join: new JoinNetwork({ registry, peers, urls, keys }),
    leave: new Leave({ registry, peers, clock, keys }, { timeoutMs: settings.leaveTimeoutMs }),
    announce: new AnnounceNode({ registry, clock, membership, urls, keys }),
    remove: new RemoveNode({ registry, clock, membership, keys }),
    probe: new ProbeForPeer({ registry, membership, urls }),
    ...(keys ? { keys } : {}),
  };
}
