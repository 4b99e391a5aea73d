/**
 * This node's own key pair. `publicKey` is the raw public key, base64url. `sign` returns the signature of the
 * UTF-8 bytes of `payload`, base64url; it is synchronous, fast (well under a millisecond) and never throws.
 */
export interface NodeSigner {
  readonly publicKey: string;
  sign(payload: string): string;
}
