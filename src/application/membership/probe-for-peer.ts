import { UnknownNode } from '../../domain/errors.js';
import { nodeRecord } from '../../domain/node-record.js';
import type { PeerRegistry } from '../../domain/peer-registry.js';
import { PeerUrlPolicy } from '../../domain/peer-url-policy.js';
import type { ProbeVerdict } from '../ports/peer-client.js';
import type { MembershipChecks } from './membership-checks.js';

/**
 * `POST /probe {id, url}`: another meshchat node asks this one to probe a member it cannot reach (SWIM's
 * indirect probe). Only a member this node lists at that URL is probed, so the endpoint cannot be used to make
 * this node call arbitrary addresses.
 */
export class ProbeForPeer {
  constructor(
    private readonly deps: {
      registry: PeerRegistry;
      membership: Pick<MembershipChecks, 'probeFor'>;
      /** Refuses URLs this node does not call (`forbidden_peer_url`); every URL by default. */
      urls?: PeerUrlPolicy;
    },
  ) {}

  async execute(input: { id: unknown; url: unknown }): Promise<ProbeVerdict & { id: string; url: string }> {
    const target = nodeRecord(input.id, input.url);
    (this.deps.urls ?? PeerUrlPolicy.ANY).check(target.url);
    const known = this.deps.registry.get(target.id);
    if (!known || known.url !== target.url) throw new UnknownNode(target.id);
    if (target.id === this.deps.registry.self.id)
      return { ...target, alive: true, incarnation: this.deps.registry.self.incarnation };
    return { ...target, ...(await this.deps.membership.probeFor(target)) };
  }
}
