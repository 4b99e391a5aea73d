import { MeshError } from './errors.js';

/** What a keyed node adds to its own record: its public key, the signature and when it signed. */
export interface NodeSignature {
  /** Ed25519 public key, raw 32 bytes, base64url. */
  readonly key: string;
  /** Signature over `canonicalNodeRecord`, base64url. */
  readonly sig: string;
  /** Milliseconds since the epoch when the record was signed. */
  readonly signedAt: number;
}

/** `announce` is a record saying where the node is (PUT, gossip, GET); `leave` is its DELETE. */
export type RecordPurpose = 'announce' | 'leave';

/**
 * How far a signature's time may be from the receiver's clock. It bounds how long a captured signed DELETE (or
 * an announce of an old URL) can be replayed, while leaving room for ordinary clock skew.
 */
export const MAX_SIGNATURE_SKEW_MS = 5 * 60_000;

/**
 * The bytes a node signs, defined once. Each field is on its own line in a fixed order and none may hold a line
 * break (ids and URLs cannot), so two different records never encode the same; the purpose stops a signed
 * announce from being replayed as a leave.
 */
export function canonicalNodeRecord(
  purpose: RecordPurpose,
  record: { readonly id: string; readonly url: string; readonly incarnation?: number },
  signedAt: number,
): string {
  return [
    'meshchat-node-v1',
    purpose,
    record.id,
    record.url,
    String(record.incarnation ?? ''),
    String(signedAt),
  ].join('\n');
}

/** A record for an id bound to one key, signed by another (409). */
export class KeyMismatch extends MeshError {
  readonly code = 'key_mismatch';
  constructor(readonly nodeId: string) {
    super(`Node "${nodeId}" is bound to another key; this record was refused.`);
  }
}

/** A record that should be signed and is not, or whose signature does not verify or is too old (401). */
export class BadSignature extends MeshError {
  readonly code = 'bad_signature';
}
