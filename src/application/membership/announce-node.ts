import { InvalidInput } from '../../domain/errors.js';
import { assertNodeId, normalizeNodeUrl } from '../../domain/node-record.js';
import { isPlausibleIncarnation, type PeerRegistry, type UpsertResult } from '../../domain/peer-registry.js';
import { PeerUrlPolicy } from '../../domain/peer-url-policy.js';
import type { Clock } from '../ports/clock.js';
import type { MembershipChecks } from './membership-checks.js';

/**
 * `PUT /nodes/:id {url, incarnation?}`: a node tells this node where it listens (joining, re-announcing a newer
 * incarnation, or after a URL change). Refused with a conflict when it would move a live node without a newer
 * incarnation; the membership protocol is then asked to check the old address, so a plain node that
 * restarted elsewhere (it announces only once) is moved as soon as its old address is found silent.
 */
export class AnnounceNode {
  constructor(
    private readonly deps: {
      registry: PeerRegistry;
      clock: Clock;
      membership: Pick<MembershipChecks, 'claim'>;
      /** Refuses URLs this node does not call (`forbidden_peer_url`); every URL by default. */
      urls?: PeerUrlPolicy;
    },
  ) {}

  execute(input: { id: unknown; url: unknown; incarnation?: number }): UpsertResult {
    const { registry, clock, membership } = this.deps;
    const report = { id: assertNodeId(input.id), url: normalizeNodeUrl(input.url) };
    (this.deps.urls ?? PeerUrlPolicy.ANY).check(report.url);
    const { incarnation } = input;
    if (!isPlausibleIncarnation(incarnation, clock.now())) {
      throw new InvalidInput(
        'invalid_incarnation',
        "The incarnation is more than a day ahead of this node's clock.",
      );
    }
    const known = registry.get(report.id);
    try {
      return registry.announce(incarnation === undefined ? report : { ...report, incarnation });
    } catch (error) {
      if (known && known.url !== report.url && incarnation === undefined) void membership.claim(report);
      throw error;
    }
  }
}
