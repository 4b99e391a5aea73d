import { Conflict } from '../../domain/errors.js';
import { nodeRecord } from '../../domain/node-record.js';
import type { PeerRegistry } from '../../domain/peer-registry.js';
import type { Clock } from '../ports/clock.js';
import type { MembershipChecks } from './membership-checks.js';
import type { MaybeSigned, NodeKeys } from './node-keys.js';

/**
 * `DELETE /nodes/:id {url, reason?}`: a node says it leaves, or a meshchat node says it found it dead
 * (`reason: 'dead'`). Honoured only when id and url both match; otherwise the registry throws `UnknownNode` or
 * `Conflict`, so the caller learns why nothing changed.
 *
 * - A death notice is checked with one direct probe first: one watcher's bad link must not remove a live node
 *   everywhere. A node that still answers is kept (`409 node_alive`).
 * - A signed leave older than the record held for that node (a lower or no incarnation) is refused
 *   (`409 stale_record`): it is a replay from before the node restarted. Unsigned leaves keep the base rules.
 * - A `DELETE` of this node itself at its own URL means someone declared it dead: it is refused, and `refute`
 *   lets the network know this node is alive.
 */
export class RemoveNode {
  constructor(
    private readonly deps: {
      registry: PeerRegistry;
      clock: Clock;
      membership: Pick<MembershipChecks, 'refute' | 'answers'>;
      /** Checks signed leaves; without it every leave is taken as unsigned (base rules). */
      keys?: NodeKeys;
    },
  ) {}

  async execute(
    input: { id: unknown; url: unknown; reason?: 'left' | 'dead' } & Omit<Partial<MaybeSigned>, 'id' | 'url'>,
  ): Promise<void> {
    const { registry, clock, membership } = this.deps;
    const node = nodeRecord(input.id, input.url);
    const reason = input.reason ?? 'left';
    if (node.id === registry.self.id && node.url === registry.self.url) membership.refute();
    // Only a keyed node itself may say it leaves; a death notice is someone else's word, checked by a probe.
    const signed =
      reason === 'left' &&
      node.id !== registry.self.id &&
      this.deps.keys?.check('leave', { ...input, ...node });
    const known = registry.get(node.id);
    // A signed leave stays valid for the signature window: after the node restarted (a newer incarnation) an
    // old leave replayed within that window must not remove it again.
    if (
      signed &&
      known?.incarnation !== undefined &&
      !(typeof input.incarnation === 'number' && input.incarnation >= known.incarnation)
    ) {
      throw new Conflict(
        'stale_record',
        `Node "${node.id}" is known at incarnation ${known.incarnation}, newer than this leave; it was not removed.`,
      );
    }
    if (
      reason === 'dead' &&
      known?.url === node.url &&
      node.id !== registry.self.id &&
      (await membership.answers(node))
    ) {
      throw new Conflict('node_alive', `Node "${node.id}" still answers at ${node.url}; it was not removed.`);
    }
    registry.remove(node, clock.now(), reason);
  }
}
