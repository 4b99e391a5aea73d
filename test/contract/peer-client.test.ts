import { createMemoryNode, InMemoryNetwork } from '../fakes/in-memory-network.js';
import { RecordingPushNotifier } from '../fakes/recording-push-notifier.js';
import { startTestNode } from '../support/nodes.js';
import { OfetchPeerClient } from '../../src/adapters/peers/ofetch-peer-client.js';
import { closedPort } from '../support/free-port.js';
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
  const target = await startTestNode('target', { push: [users] });
  return {
    client: new OfetchPeerClient({ timeoutMs: 2_000 }),
    target,
    nodes: () => target.registry.list(),
    delivered: () => users.messages,
    deadUrl: `http://127.0.0.1:${await closedPort()}`,
    close: () => target.stop({ leave: false }).then(() => undefined),
  };
});
