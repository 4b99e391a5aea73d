import { createServer } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { NgrokPublicEndpoint } from '../../src/adapters/tunnel/ngrok-public-endpoint.js';
import { EndpointUnavailable } from '../../src/application/errors.js';
import { createNode } from '../../src/container.js';
import type { MeshNode } from '../../src/mesh-node.js';
import { startTestNode, stopAll } from '../support/nodes.js';

const ngrok = vi.hoisted(() => ({
  forward: vi.fn(),
  closed: 0,
}));

vi.mock('@ngrok/ngrok', () => ({ forward: ngrok.forward }));

function fakeListener(url: string | null) {
  return { url: () => url, close: async () => void ngrok.closed++ };
}

describe('NgrokPublicEndpoint with the ngrok module replaced', () => {
  const nodes: MeshNode[] = [];

  beforeEach(() => {
    ngrok.forward.mockReset();
    ngrok.closed = 0;
  });
  afterEach(() => stopAll(nodes));

  it('opens a tunnel to the local port with the token and returns its URL', async () => {
    ngrok.forward.mockResolvedValue(fakeListener('https://abc123.ngrok.app'));
    const endpoint = new NgrokPublicEndpoint({ authtoken: 'tok' });
    expect(await endpoint.open(4321)).toBe('https://abc123.ngrok.app');
    expect(ngrok.forward).toHaveBeenCalledWith({ addr: '127.0.0.1:4321', authtoken: 'tok' });
    await endpoint.close();
    await endpoint.close();
    expect(ngrok.closed).toBe(1);
  });

  it('a node with an ngrok tunnel announces the tunnel URL to the network', async () => {
    nodes.push(await startTestNode('seed'));
    ngrok.forward.mockImplementation(async ({ addr }: { addr: string }) =>
      fakeListener(`https://tunnel-${addr.split(':')[1]}.ngrok.app`),
    );
    // Behind ngrok private peers are refused by default; here the seed is on loopback, so they are allowed.
    const tunnelled = await startTestNode('far', {
      join: [nodes[0]?.url ?? ''],
      config: { tunnel: 'ngrok', ngrokAuthtoken: 'tok', allowPrivatePeers: true },
    });
    nodes.push(tunnelled);
    const expected = `https://tunnel-${tunnelled.port}.ngrok.app`;
    expect(tunnelled.url).toBe(expected);
    expect(nodes[0]?.registry.get('far')?.url).toBe(expected);
  });

  it('refuses to start without NGROK_AUTHTOKEN, naming it in one line', async () => {
    const endpoint = new NgrokPublicEndpoint({});
    const error = await endpoint.open(1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EndpointUnavailable);
    expect((error as Error).message).toMatch(/^NGROK_AUTHTOKEN is not set/);
    expect((error as Error).message).not.toContain('\n');
    expect(ngrok.forward).not.toHaveBeenCalled();
  });

  it('turns a tunnel failure into one line naming the cause', async () => {
    ngrok.forward.mockRejectedValue(new Error('authentication failed: bad token\n  at session.rs:42'));
    const error = await new NgrokPublicEndpoint({ authtoken: 'bad' }).open(1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EndpointUnavailable);
    expect((error as Error).message).toBe(
      'The ngrok tunnel could not be opened: authentication failed: bad token',
    );
  });

  it('a node whose tunnel fails does not start and releases its port', async () => {
    ngrok.forward.mockRejectedValue(new Error('ERR_NGROK_108 too many sessions'));
    const node = createNode({
      id: 'x',
      port: 0,
      host: '127.0.0.1',
      join: [],
      tunnel: 'ngrok',
      ngrokAuthtoken: 'tok',
    });
    await expect(node.start()).rejects.toThrow('ERR_NGROK_108');
    expect(node.port).toBeGreaterThan(0);
    const again = createServer();
    await new Promise<void>((resolve, reject) => {
      again.once('error', reject);
      again.listen(node.port, '127.0.0.1', resolve);
    });
    await new Promise((resolve) => again.close(resolve));
  });

  it('refuses a tunnel that reports no URL', async () => {
    ngrok.forward.mockResolvedValue(fakeListener(null));
    await expect(new NgrokPublicEndpoint({ authtoken: 'tok' }).open(1)).rejects.toThrow('reported no URL');
    expect(ngrok.closed).toBe(1);
  });
});
