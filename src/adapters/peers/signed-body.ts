/**
 * A call's body that carries this node's signature (a message's, or a batch's proof: SPEC section 7) only when
 * the call needs one. On a peer link the acceptor authenticated as this node (`link-auth.ts`) the link proves
 * where the messages come from, so `bare` goes and nothing is signed; over HTTP, or an unauthenticated link,
 * `signed()` is what goes, made at that moment (a retry signs again).
 */
export class SignedBody {
  constructor(
    readonly bare: object,
    readonly signed: () => object,
  ) {}
}
