/**
 * Checks another node's signature. `verify` is true only when `signature` (base64url) is a valid signature of
 * the UTF-8 bytes of `payload` by `publicKey` (raw, base64url). Malformed keys or signatures give false, never
 * an exception. Synchronous and fast.
 */
export interface SignatureVerifier {
  verify(publicKey: string, payload: string, signature: string): boolean;
}
