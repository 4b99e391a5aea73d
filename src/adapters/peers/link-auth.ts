import {
  createHmac,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  type KeyObject,
  timingSafeEqual,
} from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { NodeSigner } from '../../application/ports/node-signer.js';
import type { SignatureVerifier } from '../../application/ports/signature-verifier.js';
import { isValidNodeId } from '../../domain/node-record.js';

/**
 * A peer link authenticated as a node (SPEC section 8, an extension of meshchat's): the link's opener proves
 * which node it is with its node key, so the messages that node originates need no signature of their own on
 * that link (SPEC section 7 lets "an authenticated peer link" stand for the origin's signature).
 *
 * The handshake rides the `/peer` upgrade, with no round trip of its own:
 * - the opener sends `Meshchat-Link-Node` (its node id), `Meshchat-Link-Key` (a fresh X25519 public key, raw,
 *   base64url) and `Meshchat-Link-Sig` (its Ed25519 node signature of `["meshchat-link-v1", id, key]`);
 * - the accepting node checks the signature against the key it has bound to that id (trust on first use, as for
 *   node records); when it verifies, the `101` carries the acceptor's own fresh `Meshchat-Link-Key`, and both
 *   sides derive a frame key: HKDF-SHA256 of the X25519 shared secret, bound to the tag, the id and both keys;
 * - from then on every request frame the opener sends starts with a tag: the first 16 bytes (base64url, 22
 *   characters) of the HMAC-SHA256, under the frame key, of the frame's number on the link (8 bytes, big-endian,
 *   from 0) and its text. A frame without a valid tag closes the link.
 *
 * What that gives: only the holder of the node key could have produced the opener's key, and only the holder of
 * that key's private half can tag frames, so every frame on such a link comes from that node, unchanged, in its
 * place in the order (an injected, altered, replayed, dropped or reordered frame breaks every tag from there on).
 * A captured upgrade replayed to any node yields a link its sender cannot tag a frame on. Answers are not tagged,
 * as HTTP answers are not signed. Without a bound key for the id, or without a verifying signature, the link is
 * taken as any other (unauthenticated: every message is checked by its own signature or its batch's proof).
 */
export const LINK_NODE_HEADER = 'Meshchat-Link-Node';
export const LINK_KEY_HEADER = 'Meshchat-Link-Key';
export const LINK_SIG_HEADER = 'Meshchat-Link-Sig';

const TAG = 'meshchat-link-v1';
/** Characters of a frame's tag: 16 bytes of HMAC-SHA256, base64url. */
export const FRAME_TAG_LENGTH = 22;
/** A frame's tag as sent: exactly one spelling per tag (16 bytes in 22 base64url characters). */
const FRAME_TAG = /^[A-Za-z0-9_-]{21}[AQgw]$/;
/** A raw X25519 public key, base64url (32 bytes). */
const X25519_KEY = /^[A-Za-z0-9_-]{43}$/;

/** Tags the request frames of one authenticated link, in the order they are sent. */
export interface FrameSealer {
  /** `text` with its tag in front; called once per frame, in send order. */
  seal(text: string): string;
}

/** The opener's side of an authenticated link: its sealer, and the id the acceptor gave for itself. */
export interface AuthenticatedSender extends FrameSealer {
  readonly peer: string;
}

/** Checks the request frames of one authenticated link, in the order they arrive. */
export interface FrameOpener {
  /** The frame's text without its tag, or `undefined` when the tag is missing or wrong. */
  open(frame: string): string | undefined;
}

/** What the opener of a link sends, and how it reads the acceptor's answer. */
export interface LinkAuthOffer {
  readonly headers: Readonly<Record<string, string>>;
  /** The frame sealer when the `101` took the offer, else `undefined` (the link is then unauthenticated). */
  accept(answer: IncomingHttpHeaders): AuthenticatedSender | undefined;
}

/**
 * An accepted offer: the node the link is authenticated as, the answer's headers (the acceptor's fresh key and
 * its own id), the frame opener.
 */
export interface LinkAuthSession {
  readonly node: string;
  readonly answer: Readonly<Record<string, string>>;
  readonly opener: FrameOpener;
}

/** How the accepting node checks an offer: its own id, the key bound to a node id, a signature verifier. */
export interface LinkAuthCheck {
  readonly self: string;
  readonly keyOf: (id: string) => string | undefined;
  readonly verifier: SignatureVerifier;
}

function signed(id: string, key: string): string {
  return JSON.stringify([TAG, id, key]);
}

function freshKey(): { readonly privateKey: KeyObject; readonly raw: string } {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  return { privateKey, raw: String(publicKey.export({ format: 'jwk' }).x) };
}

/** The frame key, bound to both ends' ids (opener, acceptor) and fresh keys (`keys`: opener's, acceptor's). */
function frameKey(
  privateKey: KeyObject,
  theirs: string,
  ids: readonly [string, string],
  keys: readonly [string, string],
): Buffer {
  const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: theirs }, format: 'jwk' });
  const secret = diffieHellman({ privateKey, publicKey });
  const info = JSON.stringify([TAG, ...ids, ...keys]);
  return Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), info, 32));
}

/** The tag of frame number `n` with text `text`. */
function tagOf(key: Buffer, n: number, text: string): Buffer {
  const counter = Buffer.allocUnsafe(8);
  counter.writeBigUInt64BE(BigInt(n));
  return createHmac('sha256', key).update(counter).update(text, 'utf8').digest().subarray(0, 16);
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** The opener's side: a fresh key signed with this node's key, for one upgrade. */
export function offerLinkAuth(id: string, signer: NodeSigner): LinkAuthOffer {
  const mine = freshKey();
  return {
    headers: {
      [LINK_NODE_HEADER]: id,
      [LINK_KEY_HEADER]: mine.raw,
      [LINK_SIG_HEADER]: signer.sign(signed(id, mine.raw)),
    },
    accept(answer) {
      const theirs = header(answer, LINK_KEY_HEADER);
      const peer = header(answer, LINK_NODE_HEADER);
      if (theirs === undefined || !X25519_KEY.test(theirs) || !isValidNodeId(peer)) return undefined;
      let key: Buffer;
      try {
        key = frameKey(mine.privateKey, theirs, [id, peer], [mine.raw, theirs]);
      } catch {
        return undefined;
      }
      let sent = 0;
      return { peer, seal: (text) => tagOf(key, sent++, text).toString('base64url') + text };
    },
  };
}

/**
 * The acceptor's side: the session for an upgrade whose offer verifies against the key bound to its node id,
 * else `undefined` (no offer, an unknown node, a bad signature: the link is then taken unauthenticated).
 */
export function acceptLinkAuth(
  request: IncomingHttpHeaders,
  check: LinkAuthCheck,
): LinkAuthSession | undefined {
  const id = header(request, LINK_NODE_HEADER);
  const theirs = header(request, LINK_KEY_HEADER);
  const sig = header(request, LINK_SIG_HEADER);
  if (id === undefined || theirs === undefined || sig === undefined) return undefined;
  if (!isValidNodeId(id) || !X25519_KEY.test(theirs)) return undefined;
  const bound = check.keyOf(id);
  if (bound === undefined || !check.verifier.verify(bound, signed(id, theirs), sig)) return undefined;
  const mine = freshKey();
  let key: Buffer;
  try {
    key = frameKey(mine.privateKey, theirs, [id, check.self], [theirs, mine.raw]);
  } catch {
    return undefined;
  }
  let received = 0;
  let broken = false;
  return {
    node: id,
    answer: { [LINK_KEY_HEADER]: mine.raw, [LINK_NODE_HEADER]: check.self },
    opener: {
      open(frame) {
        // One bad frame and the link is done: nothing after it opens, whatever its tag.
        if (broken || !FRAME_TAG.test(frame.slice(0, FRAME_TAG_LENGTH))) {
          broken = true;
          return undefined;
        }
        const text = frame.slice(FRAME_TAG_LENGTH);
        const given = Buffer.from(frame.slice(0, FRAME_TAG_LENGTH), 'base64url');
        const expected = tagOf(key, received++, text);
        if (given.length === expected.length && timingSafeEqual(given, expected)) return text;
        broken = true;
        return undefined;
      },
    },
  };
}
