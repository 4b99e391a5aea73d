import { describe, expect, it } from 'vitest';
import { PeerCallFailed } from '../../src/application/errors.js';
import { JoinNetwork } from '../../src/application/membership/join-network.js';
import { MembershipProtocol } from '../../src/application/membership/membership-protocol.js';
import type { PeerClient } from '../../src/application/ports/peer-client.js';
import { PeerRegistry } from '../../src/domain/peer-registry.js';
import { PeerUrlPolicy } from '../../src/domain/peer-url-policy.js';
import { CountingPeerClient } from '../fakes/counting-peer-client.js';
import { FakeClock } from '../fakes/fake-clock.js';

const unreachable = () => Promise.reject(new PeerCallFailed('peer_unreachable', 'not in this test'));
const gossiped = [
  { id: 'bait-a', url: 'http://169.254.169.254', incarnation: 5 },
  { id: 'bait-b', url: 'http://[::ffff:10.0.0.1]', incarnation: 5 },
  { id: 'far', url: 'https://far.example', incarnation: 5 },
];
const offline: PeerClient = {
  listNodes: async () => gossiped,
  getNode: unreachable,
  announce: unreachable,
  withdraw: unreachable,
  sendMessage: unreachable,
  sendMessages: unreachable,
  probeVia: unreachable,
  listUsers: unreachable,
  listCatalog: unreachable,
};

describe('gossip and joins about nodes at refused URLs', () => {
  it('anti-entropy drops them unread: not listed, not probed', async () => {
    const clock = new FakeClock();
    const registry = new PeerRegistry({ id: 'self', url: 'https://self.example' }, 1);
    const peers = new CountingPeerClient(offline);
    const membership = new MembershipProtocol({ registry, peers, clock, urls: new PeerUrlPolicy(false) });
    membership.antiEntropy.merge(gossiped);
    await clock.advance(0);
    expect(peers.calls.map((c) => c.url)).toEqual(['https://far.example']);
  });

  it('a join learns only the nodes at URLs it may call', async () => {
    const registry = new PeerRegistry({ id: 'self', url: 'https://self.example' }, 1);
    const join = new JoinNetwork({ registry, peers: offline, urls: new PeerUrlPolicy(false) });
    await join.execute(['https://seed.example']);
    expect(registry.peers().map((m) => m.id)).toEqual(['far']);
  });
});
