// Anti-entropy hears of a keyed node it does not list (bound key, restarts forgot it) from a third party, whose
// copy carries no signature: it asks the node itself for its own signed record, `GET /nodes/<its id>`, and takes
// it only when it verifies under the bound key and names the reported URL. The node's whole list is never
// needed (here it cannot even be read), and an unsigned, foreign-signed or elsewhere-pointing answer is refused.
import { describe, expect, it, vi } from 'vitest';
import {
  Ed25519NodeSigner,
  Ed25519SignatureVerifier,
} from '../../src/adapters/crypto/ed25519-node-signer.js';
import { PeerCallFailed } from '../../src/application/errors.js';
import { MembershipProtocol } from '../../src/application/membership/membership-protocol.js';
import { NodeKeys } from '../../src/application/membership/node-keys.js';
import type { NodeAnswer } from '../../src/application/ports/peer-client.js';
import { canonicalNodeRecord } from '../../src/domain/node-signature.js';
import { PeerRegistry } from '../../src/domain/peer-registry.js';
import { CountingPeerClient } from '../fakes/counting-peer-client.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { silentPeerClient } from '../fakes/silent-peer-client.js';

const CAROL_URL = 'https://carol.example';

/** Node `a`, keyed, that bound carol's key before a restart but no longer lists her. */
function forgetfulNode(answer: (signer: Ed25519NodeSigner, clock: FakeClock) => NodeAnswer) {
  const clock = new FakeClock();
  const carol = Ed25519NodeSigner.generate();
  const keys = new NodeKeys({
    self: 'a',
    signer: Ed25519NodeSigner.generate(),
    verifier: new Ed25519SignatureVerifier(),
    clock,
  });
  keys.restore({ carol: carol.publicKey });
  const registry = new PeerRegistry({ id: 'a', url: 'https://a.example' }, 1);
  const peers = new CountingPeerClient(
    silentPeerClient({
      // Carol's list is more than a peer answer may be: only her own record can be read.
      listNodes: () => Promise.reject(new PeerCallFailed('peer_bad_answer', 'more than 4194304 bytes')),
      getNode: async (url, id) => {
        if (url !== CAROL_URL || id !== 'carol') throw new PeerCallFailed('peer_rejected', 'unknown', 404);
        return answer(carol, clock);
      },
      announce: async () => {},
    }),
  );
  const membership = new MembershipProtocol({ registry, peers, clock, keys, random: () => 0.5 });
  // What a third party passes on: carol's record without her signature.
  const gossip = () =>
    membership.antiEntropy.merge([{ id: 'carol', url: CAROL_URL, incarnation: 5, state: 'alive' }]);
  return { clock, registry, peers, membership, gossip };
}

/** Carol's own answer about herself, signed by `signer` over `url` (hers unless told). */
function signedBy(signer: Ed25519NodeSigner, clock: FakeClock, url = CAROL_URL): NodeAnswer {
  const signedAt = clock.now();
  const sig = signer.sign(canonicalNodeRecord('announce', { id: 'carol', url, incarnation: 5 }, signedAt));
  return { url, incarnation: 5, state: 'alive', key: signer.publicKey, sig, signedAt };
}

describe('anti-entropy asks a keyed node it does not list for its own signed record', () => {
  it('lists carol from her signed GET /nodes/carol answer, then introduces itself to her', async () => {
    const { registry, peers, membership, gossip } = forgetfulNode(signedBy);
    gossip();
    await vi.waitFor(() => expect(registry.get('carol')).toMatchObject({ url: CAROL_URL, incarnation: 5 }));
    await vi.waitFor(() => expect(peers.calls).toContainEqual({ call: 'announce', url: CAROL_URL }));
    expect(peers.calls.filter((c) => c.call === 'getNode')).toEqual([{ call: 'getNode', url: CAROL_URL }]);
    await membership.stop();
  });

  it.each([
    ['unsigned', (_: Ed25519NodeSigner) => ({ url: CAROL_URL, incarnation: 5, state: 'alive' })],
    [
      'signed by another key',
      (_: Ed25519NodeSigner, clock: FakeClock) => signedBy(Ed25519NodeSigner.generate(), clock),
    ],
    [
      'signed for another URL',
      (signer: Ed25519NodeSigner, clock: FakeClock) => signedBy(signer, clock, 'https://elsewhere.example'),
    ],
  ])('does not list carol from an answer %s', async (_name, answer) => {
    const { registry, peers, membership, gossip } = forgetfulNode(answer);
    gossip();
    await vi.waitFor(() => expect(peers.calls.some((c) => c.call === 'getNode')).toBe(true));
    // Let the check finish: its answer is in, and nothing it might do is left pending.
    await new Promise((resolve) => setImmediate(resolve));
    expect(registry.get('carol')).toBeUndefined();
    expect(peers.calls.some((c) => c.call === 'announce')).toBe(false);
    await membership.stop();
  });
});
