// Peer links under the outbound address policy: a link is dialled only to an address the policy allows, checked
// at dial time (so DNS rebinding between an HTTP call and the link is caught), never by a second lookup. Every
// socket in this file goes to a loopback server of the test's own, whatever address the node meant to reach:
// the resolver is the test's, and so are both connect paths (undici's for HTTP, the link's).
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { type AddressInfo, connect as netConnect } from 'node:net';
import type { Duplex } from 'node:stream';
import { buildConnector } from 'undici';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocketServer } from 'ws';
import { guardedDispatcher } from '../../src/adapters/peers/guarded-dispatcher.js';
import { LinkingPeerClient } from '../../src/adapters/peers/linking-peer-client.js';
import { type LinkSocketConnect, WsPeerLink } from '../../src/adapters/peers/ws-peer-link.js';
import { PeerUrlPolicy } from '../../src/domain/peer-url-policy.js';

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/**
 * A meshchat-like peer on 127.0.0.1 that calls itself `url`: it offers a link in its own `GET /nodes/b` answer,
 * accepts `/peer` upgrades and answers every link frame 200. Counts connections, requests and upgrades.
 */
async function fakePeer(url: string) {
  const state = { port: 0, connections: 0, requests: 0, upgrades: 0, hosts: [] as (string | undefined)[] };
  const self = { url, incarnation: 1, state: 'alive', link: true };
  const server: Server = createServer((req, res) => {
    state.requests++;
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(self));
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on('connection', () => state.connections++);
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    state.upgrades++;
    state.hosts.push(request.headers.host);
    wss.handleUpgrade(request, socket, head, (ws) => {
      ws.on('message', (data) => {
        const { id } = JSON.parse(data.toString()) as { id: number };
        ws.send(JSON.stringify({ id, status: 200, body: JSON.stringify(self) }));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.port = (server.address() as AddressInfo).port;
  closers.push(
    () => new Promise((resolve) => server.close(resolve)),
    () => {
      for (const ws of wss.clients) ws.terminate();
      server.closeAllConnections();
    },
  );
  return state;
}

/** A resolver the test controls: each name answers its queue in turn, the last answer from then on. */
function fakeResolver(answers: Record<string, string[][]>) {
  const asked: string[] = [];
  const resolve = async (hostname: string) => {
    asked.push(hostname);
    const queue = answers[hostname];
    if (!queue || queue.length === 0)
      throw Object.assign(new Error(`${hostname} not found`), { code: 'ENOTFOUND' });
    return queue.length > 1 ? (queue.shift() as string[]) : (queue[0] as string[]);
  };
  return { asked, resolve };
}

/** Both connect paths, recorded, and sent to the loopback peer whatever address they were given. */
function spies(loopbackPort: number) {
  const http: string[] = [];
  const links: { host: string | undefined; servername: string | undefined }[] = [];
  const base = buildConnector({});
  const connect: buildConnector.connector = (opts, callback) => {
    http.push(opts.hostname);
    base({ ...opts, hostname: '127.0.0.1', port: String(loopbackPort) }, callback);
  };
  const connectLink: LinkSocketConnect = (options) => {
    links.push({ host: options.host, servername: options.servername });
    return netConnect({ host: '127.0.0.1', port: loopbackPort });
  };
  return { http, links, connect, connectLink };
}

/** A client that calls public peers only, with the test's resolver and connect paths. */
function strictClient(resolve: (host: string) => Promise<string[]>, spy: ReturnType<typeof spies>) {
  const client = new LinkingPeerClient({
    timeoutMs: 2_000,
    urls: new PeerUrlPolicy(false),
    resolve,
    dispatcher: guardedDispatcher({ resolve, connect: spy.connect }),
    connectLink: spy.connectLink,
  });
  closers.push(() => client.close());
  return client;
}

const message = { id: 'm1', from: 'a', to: 'b', msg: 'hi', ts: '2026-01-01T00:00:00.000Z' };

describe('peer links under the address policy (private peers not allowed)', () => {
  it.each([
    ['loopback', '127.0.0.1'],
    ['the metadata address', '169.254.169.254'],
    ['an IPv4-mapped private address', '::ffff:10.0.0.7'],
  ])(
    'a name that turns to %s by dial time gets no link socket, and no HTTP fallback',
    async (_what, forbidden) => {
      const url = 'http://rebind.example';
      const peer = await fakePeer(url);
      const { resolve, asked } = fakeResolver({ 'rebind.example': [['203.0.114.9'], [forbidden]] });
      const spy = spies(peer.port);
      const client = strictClient(resolve, spy);
      // Over HTTP, to the public address the name had then: the answer offers a link, which is dialled at once.
      expect(await client.getNode(url, 'b')).toMatchObject({ url, incarnation: 1 });
      expect(spy.http).toEqual(['203.0.114.9']);
      await vi.waitFor(() => expect(asked).toEqual(['rebind.example', 'rebind.example']), {
        timeout: 5_000,
        interval: 5,
      });
      const requests = peer.requests;
      // The dial's refusal settles in a few microtasks: from then on calls are refused, the kept-alive HTTP
      // connection to the old address notwithstanding.
      await vi.waitFor(
        async () =>
          expect(await client.sendMessage(url, message).catch((error: unknown) => error)).toMatchObject({
            code: 'peer_forbidden',
            message: expect.stringContaining(forbidden),
          }),
        { timeout: 5_000, interval: 5 },
      );
      expect(peer.requests).toBe(requests);
      await expect(client.getNode(url, 'b')).rejects.toMatchObject({ code: 'peer_forbidden' });
      expect(spy.links).toEqual([]);
      expect(peer.upgrades).toBe(0);
      expect(peer.connections).toBe(1);
      expect(client.stats.open).toBe(0);
    },
  );

  it('never dials a link whose name resolves to a forbidden address, and opens no socket at all', async () => {
    const url = 'http://intranet.example';
    const peer = await fakePeer(url);
    const { resolve } = fakeResolver({ 'intranet.example': [['10.0.0.5']] });
    const spy = spies(peer.port);
    const client = strictClient(resolve, spy);
    await expect(client.getNode(url, 'b')).rejects.toMatchObject({ code: 'peer_forbidden' });
    await expect(client.sendMessage(url, message)).rejects.toMatchObject({ code: 'peer_forbidden' });
    expect(spy.http).toEqual([]);
    expect(spy.links).toEqual([]);
    expect(peer.connections).toBe(0);
  });

  it('dials an allowed name on exactly the address it checked, keeping the name as Host', async () => {
    const url = 'http://peer.example';
    const peer = await fakePeer(url);
    const { resolve } = fakeResolver({ 'peer.example': [['203.0.114.10']] });
    const spy = spies(peer.port);
    const client = strictClient(resolve, spy);
    await client.getNode(url, 'b');
    await vi.waitFor(() => expect(client.hasLink(url)).toBe(true), { timeout: 5_000, interval: 5 });
    expect(spy.links).toEqual([{ host: '203.0.114.10', servername: undefined }]);
    expect(peer.hosts).toEqual(['peer.example']);
    expect(await client.getNode(url, 'b')).toMatchObject({ url });
    expect(client.stats.calls).toEqual({ link: 1, http: 1 });
  });

  it('keeps the name for TLS: an https link connects to the address with the name as server name', async () => {
    const peer = await fakePeer('https://tls.example');
    const spy = spies(peer.port);
    // The spy hands back a plain socket to the loopback peer: only what the link asked for is under test.
    const link = await WsPeerLink.open('https://tls.example', undefined, {
      address: '203.0.114.11',
      connect: spy.connectLink,
    });
    closers.push(() => link.close());
    expect(spy.links).toEqual([{ host: '203.0.114.11', servername: 'tls.example' }]);
    expect(peer.hosts).toEqual(['tls.example']);
  });
});
