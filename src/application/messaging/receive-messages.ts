import { MeshError } from '../../domain/errors.js';
import type { ChatMessage, InboundMessage } from '../../domain/message.js';
import type { BatchProof } from '../../domain/message-signature.js';
import type { MessageSignatures } from './message-signatures.js';
import type { ReceiveMessage, ReceiveOutcome } from './receive-message.js';

/** The outcome of one message of a batch: what `ReceiveMessage` returned, or the rule it broke. */
export type BatchOutcome =
  | ({ readonly ok: true } & ReceiveOutcome)
  | { readonly ok: false; readonly error: MeshError };

/**
 * A `POST /msgs` batch from a meshchat node's outbox: each message is received as a `PUT /msg` would be, in
 * the order given (all are started in one turn, so their writes share one store transaction and reach users
 * and outboxes in order). One bad message gets its own error; the others still go through.
 */
export class ReceiveMessages {
  constructor(
    private readonly deps: { readonly receive: ReceiveMessage; readonly signatures?: MessageSignatures },
  ) {}

  /**
   * `proof`: the sender's signature of the whole batch (signed messages); when it verifies, the messages its
   * signer originated are not checked one by one. One that does not verify is ignored: each message is then
   * checked on its own. `sender`: the node the batch's connection is authenticated as (a peer link, SPEC
   * section 8), which proves that node's own messages as a verified proof would; a proof is then not checked.
   */
  execute(messages: readonly InboundMessage[], proof?: BatchProof, sender?: string): Promise<BatchOutcome[]> {
    const { signatures } = this.deps;
    const provenBy =
      sender ??
      (proof && signatures?.provesBatch(messages as readonly ChatMessage[], proof)
        ? proof.signer
        : undefined);
    return Promise.all(
      messages.map(async (message): Promise<BatchOutcome> => {
        try {
          const { status, id } = await this.deps.receive.execute(message, provenBy);
          return { ok: true, status, id };
        } catch (error) {
          if (error instanceof MeshError) return { ok: false, error };
          throw error;
        }
      }),
    );
  }
}
