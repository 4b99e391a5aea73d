import type { MessageSource, Telemetry } from '../../application/ports/telemetry.js';
import type { ChatMessage } from '../../domain/message.js';
import type { PeerRegistry, RegistryChange } from '../../domain/peer-registry.js';
import type { Logger } from './logger.js';

/** What happened to a node, as the audit log says it. */
export type MembershipOp = 'joined' | 'suspect' | 'alive' | 'updated' | 'dead' | 'left';

/**
 * The audit trail, as the sibling systems keep one (who did what, when): one `info` line for every membership
 * change and one for every message this node accepted, each with `audit` set to what it is about. A message's
 * text is never logged, only its size.
 */
export class AuditLog implements Pick<Telemetry, 'messageAccepted'> {
  readonly #log: Logger;

  constructor(
    log: Logger,
    private readonly registry: PeerRegistry,
  ) {
    this.#log = log.child({ audit: true });
    registry.onChange((change) => this.#membership(change));
  }

  messageAccepted(message: ChatMessage, source: MessageSource): void {
    // Per message: below `info` (`--log-level silent`, say) the line is not built at all.
    if (!this.#log.isLevelEnabled('info')) return;
    const { id, from, to, user, ts, hops } = message;
    this.#log.info(
      {
        event: 'message',
        source,
        id,
        from,
        to,
        user,
        ts,
        hops,
        bytes: Buffer.byteLength(message.msg, 'utf8'),
      },
      `message ${id} from ${from} to ${to} accepted`,
    );
  }

  #membership({ kind, node, before }: RegistryChange): void {
    const op: MembershipOp =
      kind === 'added'
        ? 'joined'
        : kind === 'removed'
          ? (this.registry.tombstone(node.id)?.reason ?? 'left')
          : node.state === 'suspect'
            ? 'suspect'
            : before === 'suspect'
              ? 'alive'
              : 'updated';
    const { id, url, incarnation, state } = node;
    this.#log.info(
      { event: 'membership', op, node: { id, url, incarnation, state: kind === 'removed' ? op : state } },
      `node ${id} ${WORDS[op]}`,
    );
  }
}

const WORDS: Record<MembershipOp, string> = {
  joined: 'joined',
  suspect: 'is suspect (it does not answer its probes)',
  alive: 'is alive again',
  updated: 'updated its record',
  dead: 'was found dead',
  left: 'left the network',
};
