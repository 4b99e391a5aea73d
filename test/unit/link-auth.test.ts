// Peer links authenticated as a node (link-auth.ts): the opener's offer checked against the key bound to its id,
// and every request frame tagged in order, so that an injected, altered, replayed or reordered frame, or a
// captured offer replayed by someone without the opener's fresh key, is refused.
import type { IncomingHttpHeaders } from 'node:http';
import { describe, expect, it } from 'vitest';
import {
  Ed25519NodeSigner,
  Ed25519SignatureVerifier,
} from '../../src/adapters/crypto/ed25519-node-signer.js';
import {
  acceptLinkAuth,
  FRAME_TAG_LENGTH,
  LINK_KEY_HEADER,
  LINK_NODE_HEADER,
  LINK_SIG_HEADER,
  type LinkAuthCheck,
  offerLinkAuth,
} from '../../src/adapters/peers/link-auth.js';
import { SignedBody } from '../../src/adapters/peers/signed-body.js';

const a = Ed25519NodeSigner.generate();
const stranger = Ed25519NodeSigner.generate();
const verifier = new Ed25519SignatureVerifier();
/** The acceptor has bound node `a` to a's key, and knows no other node. */
const check: LinkAuthCheck = { self: 'b', keyOf: (id) => (id === 'a' ? a.publicKey : undefined), verifier };

/** Headers as the acceptor's `IncomingMessage` has them: names in lower case. */
function lower(headers: Readonly<Record<string, string>>): IncomingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}

/** A handshake as a link's two ends make it: the offer, the acceptor's session, the opener's sealer. */
function handshake() {
  const offer = offerLinkAuth('a', a);
  const session = acceptLinkAuth(lower(offer.headers), check);
  if (!session) throw new Error('the offer was refused');
  const sealer = offer.accept(lower(session.answer));
  if (!sealer) throw new Error('the answer was refused');
  return { offer, session, sealer };
}

const frame = (n: number) => JSON.stringify({ id: n, method: 'PUT', path: '/msg', body: { msg: `m${n}` } });

describe('peer link authentication', () => {
  it('authenticates the opener as its node, and opens every tagged frame in order', () => {
    const { session, sealer } = handshake();
    expect(session.node).toBe('a');
    for (let n = 1; n <= 5; n++) {
      const sealed = sealer.seal(frame(n));
      expect(sealed.length).toBe(frame(n).length + FRAME_TAG_LENGTH);
      expect(session.opener.open(sealed)).toBe(frame(n));
    }
  });

  it('refuses a frame without its tag, with a changed byte, replayed, or out of order', () => {
    const untagged = handshake();
    expect(untagged.session.opener.open(frame(1))).toBeUndefined();

    const changed = handshake();
    const sealed = changed.sealer.seal(frame(1));
    const flipped = `${sealed.slice(0, -3)}${sealed.at(-3) === '1' ? '2' : '1'}${sealed.slice(-2)}`;
    expect(changed.session.opener.open(flipped)).toBeUndefined();

    const replayed = handshake();
    const first = replayed.sealer.seal(frame(1));
    expect(replayed.session.opener.open(first)).toBe(frame(1));
    expect(replayed.session.opener.open(first)).toBeUndefined();

    // One bad frame and the link is done: the next frame, rightly tagged, does not open either.
    const broken = handshake();
    const good = broken.sealer.seal(frame(1));
    expect(broken.session.opener.open(`${good.slice(0, -2)}x}`)).toBeUndefined();
    expect(broken.session.opener.open(broken.sealer.seal(frame(2)))).toBeUndefined();

    const reordered = handshake();
    const one = reordered.sealer.seal(frame(1));
    const two = reordered.sealer.seal(frame(2));
    expect(reordered.session.opener.open(two)).toBeUndefined();
    expect(one).not.toBe(two);
  });

  it('takes no offer for a node without a bound key, signed by another key, or with a swapped key', () => {
    expect(acceptLinkAuth(lower(offerLinkAuth('c', stranger).headers), check)).toBeUndefined();
    expect(acceptLinkAuth(lower(offerLinkAuth('a', stranger).headers), check)).toBeUndefined();
    const mine = offerLinkAuth('a', a).headers;
    const other = offerLinkAuth('a', a).headers;
    // a's real signature, over another of a's fresh keys: the pair no longer matches.
    expect(
      acceptLinkAuth(lower({ ...mine, [LINK_KEY_HEADER]: other[LINK_KEY_HEADER] as string }), check),
    ).toBeUndefined();
    expect(acceptLinkAuth(lower({ ...mine, [LINK_NODE_HEADER]: '../a' }), check)).toBeUndefined();
    expect(acceptLinkAuth(lower({ ...mine, [LINK_SIG_HEADER]: 'not-a-signature' }), check)).toBeUndefined();
    expect(acceptLinkAuth({}, check)).toBeUndefined();
    expect(acceptLinkAuth(lower(mine), check)?.node).toBe('a');
  });

  it("a captured offer replayed opens a link nobody can tag a frame on: not even the offer's own sealer", () => {
    const { offer, sealer } = handshake();
    // Someone replays a's upgrade headers: the acceptor answers with a fresh key of its own, so the frame key
    // differs, and the replayer holds no private half to derive it.
    const replay = acceptLinkAuth(lower(offer.headers), check);
    expect(replay?.node).toBe('a');
    expect(replay?.opener.open(sealer.seal(frame(1)))).toBeUndefined();
  });

  it("learns the acceptor's id from the answer; an id changed on the way leaves the two ends' keys apart", () => {
    const { sealer } = handshake();
    expect(sealer.peer).toBe('b');
    const offer = offerLinkAuth('a', a);
    const session = acceptLinkAuth(lower(offer.headers), check);
    const relabelled = offer.accept(lower({ ...session?.answer, [LINK_NODE_HEADER]: 'm' }));
    expect(relabelled?.peer).toBe('m');
    expect(session?.opener.open(relabelled?.seal(frame(1)) ?? '')).toBeUndefined();
    expect(
      offer.accept(lower({ [LINK_KEY_HEADER]: session?.answer[LINK_KEY_HEADER] ?? '' })),
    ).toBeUndefined();
  });

  it('the opener takes no answer without a well-formed key: the link stays unauthenticated', () => {
    const offer = offerLinkAuth('a', a);
    expect(offer.accept({})).toBeUndefined();
    expect(offer.accept(lower({ [LINK_KEY_HEADER]: 'short', [LINK_NODE_HEADER]: 'b' }))).toBeUndefined();
    // 43 base64url characters that are a valid encoding but not a usable X25519 point are refused too.
    expect(
      offer.accept(lower({ [LINK_KEY_HEADER]: 'A'.repeat(43), [LINK_NODE_HEADER]: 'b' })),
    ).toBeUndefined();
  });
});

describe('a signed body on an authenticated link', () => {
  it('goes bare only when every message is for the node that took the link: itself, a user of it, or all', () => {
    const body = (...to: string[]) =>
      new SignedBody(
        {},
        () => ({}),
        to.map((address) => ({ to: address })),
      );
    expect(body('b', '*', 'bob@b').isFor('b')).toBe(true);
    expect(body('b', 'c').isFor('b')).toBe(false);
    expect(body('carol@c').isFor('b')).toBe(false);
    expect(body('bob@bb').isFor('b')).toBe(false);
    expect(body().isFor('b')).toBe(true);
  });
});
