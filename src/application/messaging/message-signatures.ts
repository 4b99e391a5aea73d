import type { ChatMessage, InboundMessage } from '../../domain/message.js';
import { type BatchProof, canonicalBatch, canonicalMessage } from '../../domain/message-signature.js';
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
 * - `sealBatch` and `provesBatch`: one signature for a whole batch this node sends (`BatchProof`), checked
 *   once by the receiver, so the messages of the batch that the signer originated need no check of their own.
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

  /** Whether users see `message` as verified for its signature here: signed, or this keyed node's own. */
  signedHere(message: ChatMessage): boolean {
    return message.sig !== undefined || (message.from === this.deps.self && this.signs);
  }

  /**
   * A message sent alone (`PUT /msg`) carries its own signature when this node originated it and has a key;
   * one sent in a batch is covered by the batch's proof instead (`sealBatch`), so the courier signs once per
   * call rather than once per message, at send time: the outbox keeps messages unsigned, and a retry signs again.
   */
  sealAlone<T extends ChatMessage>(message: T): T {
    if (!this.signs || message.sig !== undefined || message.from !== this.deps.self) return message;
    return this.seal(message);
  }

  /** This node's proof for a batch, when it has a key and originated at least one of the messages. */
  sealBatch(messages: readonly ChatMessage[]): BatchProof | undefined {
    const { signer, self } = this.deps;
    if (!signer || !messages.some((m) => m.from === self)) return undefined;
    return { signer: self, sig: signer.sign(canonicalBatch(self, messages)) };
  }

  /**
   * Whether `proof` shows that the node it names, bound to a key here, sent exactly these messages. False for
   * an unbound signer or a signature that does not verify: the messages are then checked one by one (which
   * refuses and audits what must be refused), so a bad proof costs the sender nothing but the shortcut.
   */
  provesBatch(messages: readonly ChatMessage[], proof: BatchProof): boolean {
    const key = this.deps.keyOf(proof.signer);
    return (
      key !== undefined && this.deps.verifier.verify(key, canonicalBatch(proof.signer, messages), proof.sig)
    );
  }

  /** `provenBy`: the signer of a batch proof that verified for the batch this message came in. */
  check(message: ChatMessage | (InboundMessage & ChatMessage), provenBy?: string): boolean {
    const key = this.deps.keyOf(message.from);
    if (key === undefined) return false;
    if (provenBy === message.from) return true;
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
