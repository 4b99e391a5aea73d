// When LinkingPeerClient tries a link: only to a node that offers one in its own words, once per refusal.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LinkingPeerClient } from '../../src/adapters/peers/linking-peer-client.js';

const servers: Server[] = [];
const clients: LinkingPeerClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** A node that answers like a plain one (`answers` by path), refuses every upgrade with 404, and counts them. */
async function fakeNode(answers: (url: string) => Record<string, unknown>) {
  const state = { url: '', upgrades: 0, requests: 0 };
  const server = createServer((req, res) => {
    state.requests++;
    req.resume();
    const body = answers(state.url)[`${req.method} ${req.url}`] ?? 'OK';
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  server.on('upgrade', (_request: IncomingMessage, socket: Duplex) => {
    state.upgrades++;
    socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}

function client(): LinkingPeerClient {
  const made = new LinkingPeerClient({ timeoutMs: 2_000 });
  clients.push(made);
  return made;
}

const message = { id: 'm1', from: 'a', to: 'b', msg: 'hi', ts: '2026-01-01T00:00:00.000Z' };

describe('LinkingPeerClient: whom it opens a link to', () => {
  it('never tries a link to a node that another node says offers one', async () => {
    const other = await fakeNode(() => ({}));
    const lister = await fakeNode((url) => ({
      'GET /nodes': [
        { id: 'lister', url },
        { id: 'other', url: other.url, link: true },
      ],
    }));
    const peers = client();
    await peers.listNodes(lister.url);
    for (let i = 0; i < 3; i++) await peers.sendMessage(other.url, message);
    expect(other.requests).toBe(3);
    expect(other.upgrades).toBe(0);
  });

  it('tries once when a node offers a link itself; refused, it stays on HTTP', async () => {
    const node = await fakeNode((url) => ({
      'GET /nodes/b': { url, incarnation: 1, state: 'alive', link: true },
    }));
    const peers = client();
    expect(await peers.getNode(node.url, 'b')).toEqual({ url: node.url, incarnation: 1, state: 'alive' });
    await vi.waitFor(() => expect(node.upgrades).toBe(1), { timeout: 5_000, interval: 10 });
    for (let i = 0; i < 5; i++) {
      await peers.getNode(node.url, 'b');
      await peers.sendMessage(node.url, message);
    }
    expect(node.upgrades).toBe(1);
    expect(peers.stats).toEqual({ open: 0, authenticated: 0, calls: { link: 0, http: 11 } });
  });
});
