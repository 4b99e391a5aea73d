import type { ChatMessage, InboundMessage } from '../../domain/message.js';
import { canonicalMessage } from '../../domain/message-signature.js';
import { BadSignature } from '../../domain/node-signature.js';
import type { AuditTrail } from '../ports/accounts/audit-trail.js';
import type { Clock } from '../ports/clock.js';
import type { NodeSigner } from '../ports/node-signer.js';
import type { SignatureVerifier } from '../ports/signature-verifier.js';

export interface MessageSignaturesDeps {
  /** This node's id (the auditing node). */
  readonly self: string;
  /** This node's key; a node without one signs nothing. */
  readonly signer?: NodeSigner;
  readonly verifier: SignatureVerifier;
  /** The key a node id is bound to (signed node identity, trust on first use), or undefined. */
  readonly keyOf: (id: string) => string | undefined;
  readonly clock: Clock;
  /** Where refusals are recorded (the database and the log): a forged message is an attack worth seeing. */
  readonly audit?: AuditTrail;
}

/**
 * Signed messages (SPEC section 7): the origin node signs what it originates; every receiving node checks the
 * signature of a message whose `from` is bound to a key, once, when the message arrives.
 *
 * - `seal` adds this node's signature (nothing without a key).
 * - `check` is true when `from` is bound to a key and the signature verifies under it; false when `from` is not
 *   bound (a plain node, or a node whose key this node has not learned yet: base rules, shown unverified; a
 *   message never binds a key, since it could then bind a stranger's key to an id first). It throws
 *   `BadSignature`, audited, for a bound `from` with a missing or bad signature. The key is looked up by
 *   `from`, so a signature by any other key (the sender's own, say) is as bad as none.
 */
export class MessageSignatures {
  constructor(private readonly deps: MessageSignaturesDeps) {}

  /** Whether this node signs what it originates. */
  get signs(): boolean {
    return this.deps.signer !== undefined;
  }

  seal<T extends ChatMessage>(message: T): T {
    const { signer } = this.deps;
    return signer ? { ...message, sig: signer.sign(canonicalMessage(message)) } : message;
  }

  check(message: ChatMessage | (InboundMessage & ChatMessage)): boolean {
    const key = this.deps.keyOf(message.from);
    if (key === undefined) return false;
    const { sig } = message;
    if (typeof sig === 'string' && this.deps.verifier.verify(key, canonicalMessage(message), sig))
      return true;
    const error = new BadSignature(
      typeof sig === 'string'
        ? `The signature of the message from node "${message.from}" does not verify; it was refused.`
        : `Node "${message.from}" signs its messages; this unsigned one was refused.`,
    );
    const { audit, clock, self } = this.deps;
    audit?.record({
      at: new Date(clock.now()).toISOString(),
      node: self,
      user: '-',
      op: 'message',
      object: `message ${message.id} from ${message.fromUser ?? message.from}`,
      outcome: error.code,
    });
    throw error;
  }
}
