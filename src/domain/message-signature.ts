import type { FileReference } from './file-reference.js';
import type { ChatMessage } from './message.js';

/**
 * The fields of a message its origin node signs (SPEC section 7, signed messages): everything a relay must not
 * change, the file reference included. `hops` is left out (each relay counts one more) and so is `verified`
 * (the receiver's own finding).
 */
export type SignedFields = Pick<
  ChatMessage,
  'id' | 'from' | 'to' | 'msg' | 'ts' | 'user' | 'fromUser' | 'file'
>;

/** The tag in front of a message's signed bytes; v2 added the file reference (v1 had none and is not accepted). */
export const MESSAGE_SIGNATURE_TAG = 'meshchat-msg-v2';

/**
 * The bytes an origin node signs for a message, defined once: a JSON array of the fields in a fixed order, an
 * absent optional field as `null`, behind a tag that no node record's encoding starts with (so neither kind of
 * signature can pass for the other). The file reference is last, as `[id, name, size]` or `null`. An array of
 * strings, nulls, safe integers and such arrays has exactly one `JSON.stringify` form, so the encoding does not
 * depend on key order or on how the message was parsed, and two different messages never encode the same
 * (every string is quoted and escaped).
 */
export function canonicalMessage(message: SignedFields): string {
  return JSON.stringify([
    MESSAGE_SIGNATURE_TAG,
    message.id,
    message.from,
    message.to,
    message.ts,
    message.user ?? null,
    message.fromUser ?? null,
    message.msg,
    signedFile(message.file),
  ]);
}

/**
 * `[id, name, size]` of a file reference, `null` for none. A batch proof is checked over messages as received,
 * before their `file` is checked, so anything else is encoded without throwing, as its fields or `null` (such a
 * message is then refused as `invalid_file_reference` anyway).
 */
function signedFile(file: FileReference | undefined): readonly unknown[] | null {
  if (file === undefined || file === null || typeof file !== 'object') return null;
  const { id, name, size } = file as Partial<Record<keyof FileReference, unknown>>;
  return [id ?? null, name ?? null, size ?? null];
}

/**
 * A node's proof that it sent a whole `POST /msgs` batch: its id and its signature of `canonicalBatch`. It
 * stands for the signature of each message of the batch whose `from` is that node, so the receiver checks one
 * signature per batch instead of one per message; messages it relays for other nodes are checked on their own.
 */
export interface BatchProof {
  readonly signer: string;
  readonly sig: string;
}

/**
 * The bytes a node signs for a batch: the signer and every message's `canonicalMessage`, in order, as one JSON
 * array behind its own tag. A batch with a message added, dropped, moved or changed encodes differently.
 */
export function canonicalBatch(signer: string, messages: readonly SignedFields[]): string {
  return JSON.stringify(['meshchat-batch-v1', signer, ...messages.map(canonicalMessage)]);
}

/**
 * A message as this node's users get it (pushed and in history): without the relay count and the signature,
 * with `verified: true` when its origin's signature checked out (or it originated on this keyed node).
 */
export function shownToUsers(message: ChatMessage, verified: boolean): ChatMessage {
  // The usual message has nothing to drop: it is copied (or kept) as it is, without a rest copy's key walk.
  if (message.hops === undefined && message.sig === undefined) {
    if (message.verified === (verified || undefined)) return message;
    if (verified) return { ...message, verified: true };
  }
  const { hops: _relayCount, sig: _signature, verified: _before, ...forUsers } = message;
  return verified ? { ...forUsers, verified: true } : forUsers;
}

/**
 * A message this node originated, as its own users get it: verified when this node signs what it originates
 * (`signs`), whether or not the signature is made yet (the courier signs at send time, see `Courier`).
 */
export function ownMessage(message: ChatMessage, signs: boolean): ChatMessage {
  return signs || message.sig !== undefined ? { ...message, verified: true } : message;
}
