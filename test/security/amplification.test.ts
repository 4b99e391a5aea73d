import { afterEach, describe, expect, it } from 'vitest';
import { OfetchPeerClient } from '../../src/adapters/peers/ofetch-peer-client.js';
import type { MeshNode } from '../../src/mesh-node.js';
import { CountingPeerClient } from '../fakes/counting-peer-client.js';
import { waitFor } from '../interop/plain-node/wait-for.js';
import { closedPort } from '../support/free-port.js';
import { startTestNode, stopAll } from '../support/nodes.js';

const BAITS = 300;
/** Outbound calls allowed per inbound request, over the whole life of every bait (probes, suspicion, death). */
const MAX_CALLS_PER_REQUEST = 16;

describe('bounded amplification', () => {
  const nodes: MeshNode[] = [];
  afterEach(() => stopAll(nodes));

  it(`a flood of ${BAITS} PUTs of unreachable loopback URLs costs a small constant number of calls each`, async () => {
    const peers = new CountingPeerClient(new OfetchPeerClient());
    // Fast timing, so every bait is probed, suspected and found dead within a few seconds.
    const membership = { probeIntervalMs: 100, probeTimeoutMs: 100, suspicionTimeoutMs: 300 };
    const node = await startTestNode('target', { peers, config: { membership } });
    nodes.push(node);
    const port = await closedPort();
    // Distinct loopback addresses on one closed port: every URL is new, and every packet stays on loopback.
    for (let i = 0; i < BAITS; i++) {
      const url = `http://127.0.${1 + Math.floor(i / 250)}.${1 + (i % 250)}:${port}`;
      const res = await fetch(`${node.url}/nodes/bait-${i}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ url }),
      });
      expect(res.status).toBe(200);
    }
    await waitFor(() => node.registry.peers().length === 0, 60_000);
    const withdraws = peers.calls.filter((c) => c.call === 'withdraw').length;
    const total = peers.calls.length;
    // Measured: about 7.5 calls per PUT, 4.4 of them death notices; without the round budgets, 65 and 62.
    expect(total / BAITS).toBeLessThanOrEqual(MAX_CALLS_PER_REQUEST);
    expect(withdraws / BAITS).toBeLessThanOrEqual(MAX_CALLS_PER_REQUEST / 2);
  }, 90_000);
});
