import { InvalidInput } from '../../domain/errors.js';
import { assertNodeId, normalizeNodeUrl } from '../../domain/node-record.js';
import { isPlausibleIncarnation, type PeerRegistry, type UpsertResult } from '../../domain/peer-registry.js';
import { PeerUrlPolicy } from '../../domain/peer-url-policy.js';
import type { Clock } from '../ports/clock.js';
import type { MembershipChecks } from './membership-checks.js';
import type { MaybeSigned, NodeKeys } from './node-keys.js';

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
      /** Checks signed records; without it every record is taken as unsigned (base rules). */
      keys?: NodeKeys;
    },
  ) {}

  execute(input: { id: unknown; url: unknown } & Omit<Partial<MaybeSigned>, 'id' | 'url'>): UpsertResult {
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
    // Before anything changes: a keyed node's record must be its own (SPEC section 7). This node's own id is
    // refused by the registry whatever the signature says (`id_in_use`).
    if (report.id !== registry.self.id) this.deps.keys?.check('announce', { ...input, ...report });
    const known = registry.get(report.id);
    try {
      return registry.announce(incarnation === undefined ? report : { ...report, incarnation });
    } catch (error) {
      if (known && known.url !== report.url && incarnation === undefined) void membership.claim(report);
      throw error;
    }
  }
}
