import { OfetchPeerClient } from '../../src/adapters/peers/ofetch-peer-client.js';
import { createMemoryNode, InMemoryNetwork } from '../fakes/in-memory-network.js';
import { RecordingPushNotifier } from '../fakes/recording-push-notifier.js';
import { closedPort } from '../support/free-port.js';
import { startTestNode } from '../support/nodes.js';
import { describePeerClientContract } from './peer-client-contract.js';

describePeerClientContract('InMemoryPeerClient', async () => {
  const network = new InMemoryNetwork();
  const target = createMemoryNode(network, 'target');
  return {
    client: network.client(),
    target,
    nodes: () => target.registry.list(),
    delivered: () => target.users.messages,
    deadUrl: 'http://dead.mesh.test',
    close: async () => {},
  };
});

describePeerClientContract('OfetchPeerClient against a real node on 127.0.0.1', async () => {
  const users = new RecordingPushNotifier();
  // The target's own membership loops stay quiet, so nothing it does on its own races the contract's steps.
  const hour = 3_600_000;
  const membership = { probeIntervalMs: hour, gossipIntervalMs: hour, reconnectIntervalMs: hour };
  const target = await startTestNode('target', { push: [users], config: { membership } });
  return {
    client: new OfetchPeerClient({ timeoutMs: 2_000 }),
    target,
    nodes: () => target.registry.list(),
    delivered: () => users.messages,
    deadUrl: `http://127.0.0.1:${await closedPort()}`,
    close: () => target.stop({ leave: false }).then(() => undefined),
  };
});
