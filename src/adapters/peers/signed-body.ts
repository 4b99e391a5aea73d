import { isForNode } from '../../domain/direct-message.js';

/**
 * A call's body that carries this node's signature (a message's, or a batch's proof: SPEC section 7) only when
 * the call needs one. On a peer link the acceptor authenticated as this node (`link-auth.ts`) the link proves
 * where the messages come from, so `bare` goes and nothing is signed, but only when every message is for the
 * acceptor itself (its id, a user of it, or everyone): a message the acceptor would relay needs its own proof.
 * Over HTTP, or an unauthenticated link, `signed()` is what goes, made at that moment (a retry signs again).
 */
export class SignedBody {
  constructor(
    readonly bare: object,
    readonly signed: () => object,
    /** The messages the body carries: only their `to` is read, and only on an authenticated link. */
    private readonly messages: readonly { readonly to?: string }[],
  ) {}

  /** Whether every message is for node `node` (addressed to it, to one of its users, or to everyone). */
  isFor(node: string): boolean {
    return this.messages.every((message) => isForNode(message.to, node));
  }
}
