import { afterEach, describe, expect, it } from 'vitest';
import { guardedDispatcher } from '../../src/adapters/peers/guarded-dispatcher.js';
import { OfetchPeerClient } from '../../src/adapters/peers/ofetch-peer-client.js';
import type { MeshNode } from '../../src/mesh-node.js';
import { CountingPeerClient } from '../fakes/counting-peer-client.js';
import { waitFor } from '../interop/plain-node/wait-for.js';
import { startTestNode, stopAll } from '../support/nodes.js';

/**
 * Bait URLs in every spelling. None of them is ever called: the node refuses them at the route, and its peer
 * client (guarded, and counted) would refuse them again at connect time.
 */
const BAIT_URLS = [
  'http://127.0.0.1:8081',
  'http://2130706433:8081',
  'http://0x7f000001:8081',
  'http://0177.0.0.1:8081',
  'http://127.1:8081',
  'http://localhost:8081',
  'http://[::1]:8081',
  'http://[::ffff:127.0.0.1]:8081',
  'http://[::ffff:7f00:1]:8081',
  'http://10.0.0.1',
  'http://172.16.5.4',
  'http://192.168.1.1',
  'http://169.254.169.254',
  'http://[fd00:ec2::254]',
  'http://100.100.100.200',
  'http://100.64.0.1',
  'http://0.0.0.0',
  'http://[::]',
  'http://224.0.0.1',
  'http://255.255.255.255',
  'http://[fe80::1]',
  'http://[fc00::1]',
  'http://[64:ff9b::a9fe:a9fe]',
  'http://[2002:a9fe:a9fe::]',
  'http://192.0.2.1',
];

describe('a node that calls only public peers', () => {
  const nodes: MeshNode[] = [];
  afterEach(() => stopAll(nodes));

  /**
   * Its peer client is the real one, counted, behind the guarded connector with a resolver the test controls
   * (every name resolves to a private address) and a connect path that records and refuses: no DNS query and
   * no packet leaves this machine, whatever the node tries.
   */
  async function strictNode() {
    const connects: string[] = [];
    const dispatcher = guardedDispatcher({
      resolve: async () => ['10.0.0.9'],
      connect: (opts, callback) => {
        connects.push(opts.hostname);
        callback(new Error('this test opens no connection'), null);
      },
    });
    const peers = new CountingPeerClient(new OfetchPeerClient({ dispatcher }));
    const node = await startTestNode('strict', { peers, config: { allowPrivatePeers: false } });
    nodes.push(node);
    return { node, peers, connects };
  }

  const call = (node: MeshNode, method: string, path: string, body: unknown) =>
    fetch(`${node.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('refuses every spelling of a non-public address on PUT /nodes/:id and POST /probe, and calls none', async () => {
    const { node, peers, connects } = await strictNode();
    for (const [i, url] of BAIT_URLS.entries()) {
      for (const res of [
        await call(node, 'PUT', `/nodes/bait-${i}`, { url }),
        await call(node, 'POST', '/probe', { id: `bait-${i}`, url }),
      ]) {
        expect({ url, status: res.status }).toEqual({ url, status: 400 });
        const body = (await res.json()) as { error: { code: string; message: string } };
        expect(body.error.code).toBe('forbidden_peer_url');
        expect(body.error.message).toMatch(/this node calls only public addresses/);
      }
    }
    const listed = (await (await fetch(`${node.url}/nodes`)).json()) as { id: string }[];
    expect(listed.map((n) => n.id)).toEqual(['strict']);
    expect(peers.calls).toEqual([]);
    expect(connects).toEqual([]);
  });

  it('takes a host name, then refuses to connect when it resolves to a private address', async () => {
    const { node, peers, connects } = await strictNode();
    const res = await call(node, 'PUT', '/nodes/far', { url: 'https://far.example' });
    expect(res.status).toBe(200);
    // The failure detector probes it within a probe interval; the guard refuses before any socket opens.
    await waitFor(() => peers.calls.some((c) => c.call === 'getNode' && c.url === 'https://far.example'));
    expect(connects).toEqual([]);
  });

  it('keeps allowing loopback peers by default when it listens on loopback', async () => {
    const node = await startTestNode('lan');
    nodes.push(node);
    const res = await call(node, 'PUT', '/nodes/neighbour', { url: 'http://127.0.0.1:8081' });
    expect(res.status).toBe(200);
  });
});
