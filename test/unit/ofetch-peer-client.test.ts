import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_ANSWER_BYTES, OfetchPeerClient } from '../../src/adapters/peers/ofetch-peer-client.js';
import { PeerCallFailed } from '../../src/application/errors.js';

/** A bare HTTP peer that counts connections and concurrent requests, and answers as the test says. */
async function countingPeer(answer: (req: IncomingMessage, res: ServerResponse) => void) {
  const stats = { connections: 0, inFlight: 0, maxInFlight: 0, requests: 0 };
  const server: Server = createServer((req, res) => {
    stats.requests++;
    stats.inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    res.on('close', () => stats.inFlight--);
    req.resume();
    req.on('end', () => answer(req, res));
  });
  server.on('connection', () => stats.connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const message = { to: 'x', msg: 'hi' };

describe('OfetchPeerClient', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of cleanups.splice(0)) await close();
  });

  it('accepts any 2xx, including a plain node answering the text OK', async () => {
    const peer = await countingPeer((_req, res) =>
      res.writeHead(200, { 'content-type': 'text/html' }).end('OK'),
    );
    cleanups.push(peer.close);
    await expect(new OfetchPeerClient().sendMessage(peer.url, message)).resolves.toBeUndefined();
  });

  it('bounds calls in flight per destination and reuses a few kept-alive connections for a burst', async () => {
    const peer = await countingPeer((_req, res) => setTimeout(() => res.writeHead(200).end('OK'), 5));
    cleanups.push(peer.close);
    const client = new OfetchPeerClient({ maxInFlightPerPeer: 4 });
    await Promise.all(Array.from({ length: 200 }, () => client.sendMessage(peer.url, message)));
    expect(peer.stats.requests).toBe(200);
    expect(peer.stats.maxInFlight).toBeLessThanOrEqual(4);
    // fetch's pool may open a fresh socket when a slot frees a tick before its socket does: a few, never one per call.
    expect(peer.stats.connections).toBeLessThanOrEqual(8);

    // A second burst finds those connections kept alive and opens at most one per slot.
    const opened = peer.stats.connections;
    await Promise.all(Array.from({ length: 200 }, () => client.sendMessage(peer.url, message)));
    expect(peer.stats.requests).toBe(400);
    expect(peer.stats.connections - opened).toBeLessThanOrEqual(4);
  });

  it('refuses at once with peer_busy when too many calls already wait for one destination', async () => {
    const peer = await countingPeer((_req, res) => setTimeout(() => res.writeHead(200).end('OK'), 50));
    cleanups.push(peer.close);
    const client = new OfetchPeerClient({ maxInFlightPerPeer: 1, maxWaitingPerPeer: 2 });
    const calls = Array.from({ length: 5 }, () =>
      client.sendMessage(peer.url, message).then(
        () => 'ok',
        (e: PeerCallFailed) => e.code,
      ),
    );
    expect(await Promise.all(calls)).toEqual(['ok', 'ok', 'ok', 'peer_busy', 'peer_busy']);
  });

  it('gives up with peer_timeout when the peer does not answer in time', async () => {
    const peer = await countingPeer(() => {});
    cleanups.push(peer.close);
    const error = await new OfetchPeerClient({ timeoutMs: 200 }).listNodes(peer.url).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PeerCallFailed);
    expect(error).toMatchObject({ code: 'peer_timeout' });
    expect((error as Error).message).toContain('200 ms');
  });

  it('drops node list entries that break the rules and refuses an answer that is not a list', async () => {
    const lists = [
      JSON.stringify([
        { id: 'good', url: 'http://127.0.0.1:1/' },
        { id: 'bad id', url: 'http://x' },
        { id: 'x', url: 'javascript:alert(1)' },
      ]),
      '{"not":"a list"}',
    ];
    const peer = await countingPeer((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(lists.shift()),
    );
    cleanups.push(peer.close);
    const client = new OfetchPeerClient();
    expect(await client.listNodes(peer.url)).toEqual([{ id: 'good', url: 'http://127.0.0.1:1' }]);
    await expect(client.listNodes(peer.url)).rejects.toMatchObject({ code: 'peer_bad_answer' });
  });

  it("getNode keeps a keyed node's signature of itself, and drops a malformed one whole, never failing on it", async () => {
    const signature = { key: 'k'.repeat(43), sig: 's'.repeat(86), signedAt: 1_795_244_278_295 };
    const record = { url: 'http://127.0.0.1:1/', incarnation: 7, state: 'alive' };
    const answers = [
      { ...record, ...signature },
      // A hostile peer's variants: too long, the wrong type, one field missing, all three absurd.
      { ...record, ...signature, key: 'k'.repeat(65) },
      { ...record, ...signature, sig: 12 },
      { ...record, key: signature.key, sig: signature.sig },
      { ...record, key: { evil: true }, sig: ['x'], signedAt: -1 },
      { ...record, ...signature, signedAt: 'yesterday' },
    ];
    const peer = await countingPeer((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answers.shift())),
    );
    cleanups.push(peer.close);
    const client = new OfetchPeerClient();
    const unsigned = { url: 'http://127.0.0.1:1', incarnation: 7, state: 'alive' };
    expect(await client.getNode(peer.url, 'n')).toEqual({ ...unsigned, ...signature });
    for (let i = 0; i < 5; i++) expect(await client.getNode(peer.url, 'n')).toEqual(unsigned);
  });

  it('refuses an answer body over the limit without buffering it all, and strips bad extension fields', async () => {
    let written = 0;
    const peer = await countingPeer((req, res) => {
      if (req.url?.startsWith('/nodes/')) {
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end('{"url":"http://127.0.0.1:1","incarnation":-4,"state":"zombie"}');
        return;
      }
      // An endless list: the client must stop reading.
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('[');
      const chunk = `${JSON.stringify({ id: 'n', url: 'http://127.0.0.1:1' })},`.repeat(1_000);
      const pump = () => {
        while (!res.destroyed && written < 64 * MAX_ANSWER_BYTES && res.write(chunk)) written += chunk.length;
        if (!res.destroyed && written < 64 * MAX_ANSWER_BYTES) res.once('drain', pump);
      };
      res.on('close', () => res.removeAllListeners('drain'));
      pump();
    });
    cleanups.push(peer.close);
    const client = new OfetchPeerClient();
    await expect(client.listNodes(peer.url)).rejects.toMatchObject({
      code: 'peer_bad_answer',
      message: expect.stringContaining('more than'),
    });
    expect(written).toBeLessThan(8 * MAX_ANSWER_BYTES);
    expect(await client.getNode(peer.url, 'n')).toEqual({ url: 'http://127.0.0.1:1' });
  });
});
