import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, vi } from 'vitest';
import { LinkingPeerClient } from '../../src/adapters/peers/linking-peer-client.js';
import { OfetchPeerClient } from '../../src/adapters/peers/ofetch-peer-client.js';
import { createMemoryNode, InMemoryNetwork } from '../fakes/in-memory-network.js';
import { RecordingPushNotifier } from '../fakes/recording-push-notifier.js';
import { closedPort } from '../support/free-port.js';
import { addAccount, startWiredTestNode } from '../support/wired-nodes.js';
import { describePeerClientContract } from './peer-client-contract.js';

describePeerClientContract('InMemoryPeerClient', async () => {
  const network = new InMemoryNetwork();
  const target = createMemoryNode(network, 'target');
  return {
    client: network.client(),
    target,
    nodes: () => target.registry.list(),
    delivered: () => target.users.messages,
    directoryVersion: () => target.ownDirectory.snapshot().version,
    addUser: (name, online) => {
      addAccount(target.accounts, name);
      if (online) target.presence.opened(name, `${name}-1`, 'socket.io');
    },
    deadUrl: 'http://dead.mesh.test',
    close: async () => {},
  };
});

describePeerClientContract('OfetchPeerClient against a real node on 127.0.0.1', async () => {
  const users = new RecordingPushNotifier();
  // The target's own membership loops stay quiet, so nothing it does on its own races the contract's steps.
  const hour = 3_600_000;
  const membership = { probeIntervalMs: hour, gossipIntervalMs: hour, reconnectIntervalMs: hour };
  // A data dir gives the target a node key, so its own record is signed (SPEC section 7).
  const dataDir = mkdtempSync(join(tmpdir(), 'meshchat-contract-'));
  const { node: target, wired } = await startWiredTestNode('target', {
    push: [users],
    config: { membership, dataDir },
  });
  return {
    client: new OfetchPeerClient({ timeoutMs: 2_000 }),
    target,
    nodes: () => target.registry.list(),
    delivered: () => users.messages,
    directoryVersion: () => wired.ownDirectory.snapshot().version,
    catalog: wired.ownCatalog,
    addUser: (name, online) => {
      addAccount(wired.accounts, name);
      if (online) wired.presence.opened(name, `${name}-1`, 'socket.io');
    },
    keyed: true,
    deadUrl: `http://127.0.0.1:${await closedPort()}`,
    close: async () => {
      await target.stop({ leave: false });
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
});

describePeerClientContract('LinkingPeerClient over a peer link to a real node on 127.0.0.1', async () => {
  const users = new RecordingPushNotifier();
  const hour = 3_600_000;
  const membership = { probeIntervalMs: hour, gossipIntervalMs: hour, reconnectIntervalMs: hour };
  // A data dir gives the target a node key, so its own record is signed (SPEC section 7).
  const dataDir = mkdtempSync(join(tmpdir(), 'meshchat-contract-'));
  const { node: target, wired } = await startWiredTestNode('target', {
    push: [users],
    config: { membership, dataDir },
  });
  const client = new LinkingPeerClient({ timeoutMs: 2_000 });
  // The first call learns the target's offer (its own entry says `link: true`) and goes over HTTP; every call
  // of the contract after it goes over the link.
  await client.listNodes(target.url);
  await vi.waitFor(() => expect(client.hasLink(target.url)).toBe(true), { timeout: 5_000, interval: 10 });
  return {
    client,
    target,
    nodes: () => target.registry.list(),
    delivered: () => users.messages,
    directoryVersion: () => wired.ownDirectory.snapshot().version,
    catalog: wired.ownCatalog,
    addUser: (name, online) => {
      addAccount(wired.accounts, name);
      if (online) wired.presence.opened(name, `${name}-1`, 'socket.io');
    },
    keyed: true,
    deadUrl: `http://127.0.0.1:${await closedPort()}`,
    close: async () => {
      // The warm-up call, and at most one to the dead URL, which offers nothing: everything else rode the link.
      expect(client.stats.calls.http).toBeLessThanOrEqual(2);
      await client.close();
      await target.stop({ leave: false });
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
});
