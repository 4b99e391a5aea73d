import { createServer, type Server } from 'node:http';
import { buildConnector } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { guardedDispatcher } from '../../src/adapters/peers/guarded-dispatcher.js';
import { OfetchPeerClient } from '../../src/adapters/peers/ofetch-peer-client.js';

/**
 * The connect path a test watches: every address the guard passes on is recorded, and the socket is opened to
 * the test's own loopback server whatever the address, so no packet ever leaves this machine.
 */
function spyConnect(loopbackPort: number | undefined) {
  const attempts: string[] = [];
  const base = buildConnector({});
  const connect: buildConnector.connector = (opts, callback) => {
    attempts.push(opts.hostname);
    if (loopbackPort === undefined) callback(new Error('the test refuses every connection'), null);
    else base({ ...opts, hostname: '127.0.0.1', port: String(loopbackPort) }, callback);
  };
  return { attempts, connect };
}

/** A resolver the test controls: each name maps to the addresses of its next answer. */
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

describe('guardedDispatcher: the address is checked after resolution, before any socket opens', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  });

  async function loopbackPeer(): Promise<number> {
    const server = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ url: 'http://peer.example', incarnation: 3 }));
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return (server.address() as { port: number }).port;
  }

  it.each([
    [
      'a name that resolves to a private address',
      'http://intranet.example',
      [['10.0.0.5']],
      'private network',
    ],
    [
      'a name that resolves to the metadata address',
      'http://meta.example',
      [['169.254.169.254']],
      'metadata',
    ],
    ['a name that resolves to loopback over IPv6', 'http://six.example', [['::1']], 'loopback'],
    [
      'a name that resolves to an IPv4-mapped private address',
      'http://mapped.example',
      [['::ffff:192.168.0.1']],
      'private',
    ],
    [
      'a name with one public and one private address',
      'http://mixed.example',
      [['8.8.8.8', '10.0.0.1']],
      'private',
    ],
    ['a literal loopback address', 'http://127.0.0.1:8081', [], 'loopback'],
    ['a literal IPv6 link-local address', 'http://[fe80::1]:8081', [], 'link-local'],
  ])('%s is refused with peer_forbidden and no connection', async (_what, url, addresses, why) => {
    const host = new URL(url).hostname;
    const { resolve } = fakeResolver({ [host]: addresses });
    const spy = spyConnect(undefined);
    const peers = new OfetchPeerClient({ dispatcher: guardedDispatcher({ resolve, connect: spy.connect }) });
    await expect(peers.getNode(url, 'x')).rejects.toMatchObject({
      code: 'peer_forbidden',
      message: expect.stringContaining(why),
    });
    expect(spy.attempts).toEqual([]);
  });

  it('calls a name that resolves to a public address, on exactly the address it checked', async () => {
    const port = await loopbackPeer();
    const { resolve } = fakeResolver({ 'peer.example': [['203.0.114.7']] });
    const spy = spyConnect(port);
    const peers = new OfetchPeerClient({ dispatcher: guardedDispatcher({ resolve, connect: spy.connect }) });
    await expect(peers.getNode('http://peer.example', 'x')).resolves.toEqual({
      url: 'http://peer.example',
      incarnation: 3,
    });
    expect(spy.attempts).toEqual(['203.0.114.7']);
  });

  it('catches DNS rebinding: a name that turns private between two calls is refused on the second', async () => {
    const port = await loopbackPeer();
    const { resolve, asked } = fakeResolver({
      'rebind.example': [['203.0.114.8'], ['169.254.169.254']],
    });
    const spy = spyConnect(port);
    // A fresh connection per call, so the second call resolves the name again.
    const dispatcher = guardedDispatcher({ resolve, connect: spy.connect });
    const peers = new OfetchPeerClient({ dispatcher, maxInFlightPerPeer: 1 });
    await peers.getNode('http://rebind.example', 'x');
    await dispatcher.close();
    const again = new OfetchPeerClient({ dispatcher: guardedDispatcher({ resolve, connect: spy.connect }) });
    await expect(again.getNode('http://rebind.example', 'x')).rejects.toMatchObject({
      code: 'peer_forbidden',
    });
    expect(asked).toEqual(['rebind.example', 'rebind.example']);
    expect(spy.attempts).toEqual(['203.0.114.8']);
  });
});
