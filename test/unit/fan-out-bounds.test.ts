import { describe, expect, it } from 'vitest';
import { MAX_CHECKS_IN_FLIGHT } from '../../src/application/membership/anti-entropy.js';
import {
  MAX_REFUTATION_TARGETS,
  MembershipProtocol,
} from '../../src/application/membership/membership-protocol.js';
import { PeerRegistry } from '../../src/domain/peer-registry.js';
import { CountingPeerClient } from '../fakes/counting-peer-client.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { silentPeerClient } from '../fakes/silent-peer-client.js';

const silent = silentPeerClient();

/** A node listing 200 members (100 meshchat, 100 plain), on a fake clock and a counted, silent network. */
function crowdedNode() {
  const clock = new FakeClock();
  const registry = new PeerRegistry({ id: 'self', url: 'https://self.example' }, 1);
  for (let i = 0; i < 200; i++)
    registry.announce({
      id: `m${i}`,
      url: `https://m${i}.example`,
      ...(i % 2 === 0 ? { incarnation: 1 } : {}),
    });
  const peers = new CountingPeerClient(silent);
  const membership = new MembershipProtocol({ registry, peers, clock, random: () => 0.5 });
  return { clock, registry, peers, membership };
}

describe('fan-out is bounded per round, however many members there are', () => {
  it('a refutation is announced to at most MAX_REFUTATION_TARGETS members, live meshchat ones first', async () => {
    const { peers, membership, clock } = crowdedNode();
    membership.refute(5);
    await clock.advance(0);
    const told = peers.calls.filter((c) => c.call === 'announce');
    expect(told).toHaveLength(MAX_REFUTATION_TARGETS);
    for (const { url } of told) expect(Number(/m(\d+)\./.exec(url)?.[1]) % 2).toBe(0);
  });

  it('a gossiped list that reports every member dead makes at most MAX_CHECKS_IN_FLIGHT probes', async () => {
    const { peers, membership, registry, clock } = crowdedNode();
    // Only the meshchat members' reports are down hints (a plain record given a version is a rumoured move).
    const meshchat = registry.peers().filter((m) => m.incarnation !== undefined);
    membership.antiEntropy.merge(meshchat.map((m) => ({ ...m, incarnation: 2, state: 'dead' as const })));
    await clock.advance(0);
    expect(peers.calls.filter((c) => c.call === 'getNode')).toHaveLength(MAX_CHECKS_IN_FLIGHT);
  });
});
