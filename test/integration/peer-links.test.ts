// Peer links between real nodes on 127.0.0.1 (SPEC section 8): after warm-up the messages between meshchat
// nodes make no HTTP request at all; a link dropped mid-batch, a restarted peer, a peer that refuses
// upgrades and one started without links all lose nothing and deliver each message once, in order.
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { MeshNode } from '../../src/mesh-node.js';
import { RecordingPushNotifier } from '../fakes/recording-push-notifier.js';
import { startTestNode, stopAll } from '../support/nodes.js';
import { LINK_DEADLINE_MS, linksOpen, metric, POLL_MS, tally } from '../support/peer-links.js';
import { connectSocketIoUser, type SocketIoTestUser } from '../support/users.js';
import { addAccount, startWiredTestNode } from '../support/wired-nodes.js';

const nodes: MeshNode[] = [];
const users: SocketIoTestUser[] = [];
const servers: Server[] = [];
afterEach(async () => {
  for (const user of users.splice(0)) user.close();
  await stopAll(nodes);
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

async function node(id: string, options: Parameters<typeof startTestNode>[1] = {}): Promise<MeshNode> {
  const started = await startTestNode(id, options);
  nodes.push(started);
  return started;
}

async function user(url: string): Promise<SocketIoTestUser> {
  const connected = await connectSocketIoUser(url);
  users.push(connected);
  return connected;
}

/** Sends `count` messages to `to` at once, in order, and waits for every acknowledgement. */
async function sendMany(
  from: SocketIoTestUser,
  to: string,
  prefix: string,
  count: number,
): Promise<string[]> {
  const texts = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
  const acks = await Promise.all(texts.map((text) => from.send(to, text)));
  for (const ack of acks) expect(ack?.ok).toBe(true);
  return texts;
}

/** Waits until `seen` holds every one of `texts`, then checks each came exactly once, in order. */
async function expectOnceInOrder(
  seen: RecordingPushNotifier,
  texts: readonly string[],
  timeout = LINK_DEADLINE_MS,
) {
  const prefix = texts[0]?.replace(/-\d+$/, '-') ?? '';
  const mine = () => seen.messages.map((m) => m.msg).filter((m) => m.startsWith(prefix));
  await vi.waitFor(() => expect(mine()).toHaveLength(texts.length), { timeout, interval: POLL_MS });
  expect(mine()).toEqual(texts);
}

describe('peer links between meshchat nodes', () => {
  it('after warm-up, 100 messages make no HTTP request to the destination', async () => {
    const seenByB = new RecordingPushNotifier();
    const b = await node('b', { push: [seenByB] });
    // 300 sends at once from one connection: past its default budget (GET /limits), which is not under test.
    const unlimited = { ratePerSecond: 0, burst: 0 };
    const a = await node('a', {
      join: [b.url],
      config: { rateLimits: { connection: unlimited, account: unlimited, address: unlimited } },
    });
    const atB = tally(b.server);
    await linksOpen(a.url, 1);
    const sender = await user(a.url);
    const before = atB.requests;
    const texts = await sendMany(sender, 'b', 'warm', 100);
    await expectOnceInOrder(seenByB, texts);
    expect(atB.requests - before).toBe(0);
    expect(atB.linkUpgrades).toBeLessThanOrEqual(1);
    expect(await metric(a.url, 'meshchat_peer_calls_total{transport="link"}')).toBeGreaterThan(0);
  });

  it('three nodes link each pair, and messages between all of them make no HTTP request', async () => {
    const seen = {
      a: new RecordingPushNotifier(),
      b: new RecordingPushNotifier(),
      c: new RecordingPushNotifier(),
    };
    const a = await node('a', { push: [seen.a] });
    const b = await node('b', { push: [seen.b], join: [a.url] });
    const c = await node('c', { push: [seen.c], join: [a.url] });
    await Promise.all([linksOpen(a.url, 2), linksOpen(b.url, 2), linksOpen(c.url, 2)]);
    const counts = [tally(a.server), tally(b.server), tally(c.server)];
    const [ua, ub, uc] = await Promise.all([user(a.url), user(b.url), user(c.url)]);
    const sent = await Promise.all([
      sendMany(ua, 'b', 'ab', 30),
      sendMany(ua, 'c', 'ac', 30),
      sendMany(ub, 'c', 'bc', 30),
      sendMany(uc, 'a', 'ca', 30),
    ]);
    await expectOnceInOrder(seen.b, sent[0] ?? []);
    await expectOnceInOrder(seen.c, sent[1] ?? []);
    await expectOnceInOrder(seen.c, sent[2] ?? []);
    await expectOnceInOrder(seen.a, sent[3] ?? []);
    expect(counts.map((count) => count.requests)).toEqual([0, 0, 0]);
  });

  it('a link dropped mid-batch loses nothing: every message arrives once, in order', async () => {
    const seenByB = new RecordingPushNotifier();
    const b = await node('b', { push: [seenByB] });
    // 300 sends at once from one connection: past its default budget (GET /limits), which is not under test.
    const unlimited = { ratePerSecond: 0, burst: 0 };
    const a = await node('a', {
      join: [b.url],
      config: { rateLimits: { connection: unlimited, account: unlimited, address: unlimited } },
    });
    const atB = tally(b.server);
    await linksOpen(a.url, 1);
    const sender = await user(a.url);
    const texts = Array.from({ length: 300 }, (_, i) => `drop-${i}`);
    const acks = Promise.all(texts.map((text) => sender.send('b', text)));
    await vi.waitFor(() => expect(seenByB.messages.length).toBeGreaterThan(10), {
      timeout: LINK_DEADLINE_MS,
      interval: 1,
    });
    atB.killLinks();
    for (const ack of await acks) expect(ack?.ok).toBe(true);
    await expectOnceInOrder(seenByB, texts);
    expect(new Set(seenByB.messages.map((m) => m.id)).size).toBe(seenByB.messages.length);
    // The link comes back by itself.
    await linksOpen(a.url, 1);
  });

  it('a restarted peer gets its link back, and the outbox drains over it', async () => {
    const first = new RecordingPushNotifier();
    const b = await node('b', { push: [first] });
    const a = await node('a', { join: [b.url] });
    await linksOpen(a.url, 1);
    const sender = await user(a.url);
    await sendMany(sender, 'b', 'before', 5);
    await expectOnceInOrder(first, ['before-0', 'before-1', 'before-2', 'before-3', 'before-4']);
    await b.stop({ leave: false });
    const queued = await sendMany(sender, 'b', 'queued', 20);
    const again = new RecordingPushNotifier();
    const restarted = await node('b', { push: [again], join: [a.url], config: { port: b.port } });
    const atB = tally(restarted.server);
    await expectOnceInOrder(again, queued, 30_000);
    await linksOpen(a.url, 1);
    expect(atB.linkUpgrades).toBeLessThanOrEqual(1);
  });

  it("the mesh directory pulls a node's user list, with its version, over the link: no HTTP request", async () => {
    const b = await startWiredTestNode('b');
    const a = await startWiredTestNode('a', { join: [b.node.url] });
    nodes.push(b.node, a.node);
    const atB = tally(b.node.server);
    await linksOpen(a.node.url, 1);
    const before = atB.requests;
    addAccount(b.wired.accounts, 'bob');
    b.wired.presence.opened('bob', 'bob-socket', 'socket.io');
    const version = b.wired.ownDirectory.snapshot().version;
    await vi.waitFor(
      async () => {
        const mesh = (await (await fetch(`${a.node.url}/users?scope=mesh`)).json()) as {
          users: { user: string; online: boolean }[];
        };
        expect(mesh.users).toContainEqual({ user: 'bob@b', online: true, lastSeen: null });
      },
      { timeout: LINK_DEADLINE_MS, interval: POLL_MS },
    );
    // a holds b's list at b's own version (over a link it comes in the answer frame's headers).
    expect(a.wired.directory.versionOf('b')).toBe(version);
    expect(atB.requests - before).toBe(0);
  });

  it('a node started without links is called over HTTP and never sees an upgrade', async () => {
    const seenByB = new RecordingPushNotifier();
    const b = await node('b', { push: [seenByB], config: { peerLinks: false } });
    const atB = tally(b.server);
    const a = await node('a', { join: [b.url] });
    const sender = await user(a.url);
    const texts = await sendMany(sender, 'b', 'nolink', 50);
    await expectOnceInOrder(seenByB, texts);
    expect(atB.linkUpgrades).toBe(0);
    expect(atB.requests).toBeGreaterThan(0);
    expect(await metric(a.url, 'meshchat_peer_links_open')).toBe(0);
  });

  it('behind a proxy that refuses upgrades: one refused attempt, then HTTP, nothing lost', async () => {
    const proxy = refusingProxy();
    servers.push(proxy.server);
    const proxyUrl = await proxy.listen();
    const seenByB = new RecordingPushNotifier();
    const b = await node('b', { push: [seenByB], config: { publicUrl: proxyUrl } });
    proxy.target = `http://127.0.0.1:${b.port}`;
    const a = await node('a', { join: [proxyUrl] });
    const sender = await user(a.url);
    const texts = await sendMany(sender, 'b', 'proxied', 50);
    await expectOnceInOrder(seenByB, texts);
    await vi.waitFor(() => expect(proxy.upgrades).toBe(1), { timeout: LINK_DEADLINE_MS, interval: POLL_MS });
    // A second batch after the refusal: still HTTP, and no new attempt (the peer is link-less for a while).
    const more = await sendMany(sender, 'b', 'later', 20);
    await expectOnceInOrder(seenByB, more);
    expect(proxy.upgrades).toBe(1);
    expect(await metric(a.url, 'meshchat_peer_links_open')).toBe(0);
  });
});

/** An HTTP proxy that forwards plain requests to `target` and answers every WebSocket upgrade 403. */
function refusingProxy() {
  const state = {
    target: '',
    upgrades: 0,
    server: createServer((req, res) => {
      const upstream = httpRequest(
        `${state.target}${req.url}`,
        { method: req.method, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    }),
    listen: () =>
      new Promise<string>((resolve) =>
        state.server.listen(0, '127.0.0.1', () =>
          resolve(`http://127.0.0.1:${(state.server.address() as AddressInfo).port}`),
        ),
      ),
  };
  state.server.on('upgrade', (_request, socket) => {
    state.upgrades++;
    socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  });
  return state;
}
