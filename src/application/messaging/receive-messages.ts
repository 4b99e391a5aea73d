import { MeshError } from '../../domain/errors.js';
import type { InboundMessage } from '../../domain/message.js';
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
  constructor(private readonly deps: { readonly receive: ReceiveMessage }) {}

  execute(messages: readonly InboundMessage[]): Promise<BatchOutcome[]> {
    return Promise.all(
      messages.map(async (message): Promise<BatchOutcome> => {
        try {
          return { ok: true, ...(await this.deps.receive.execute(message)) };
        } catch (error) {
          if (error instanceof MeshError) return { ok: false, error };
          throw error;
        }
      }),
    );
  }
}
