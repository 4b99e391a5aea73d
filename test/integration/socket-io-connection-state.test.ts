// What the socket.io front end keeps per connection (issue 14, idle users' memory): the upgrade request is let
// go once a socket has connected (see release-upgrade-request.ts), an idle socket has no send budget yet, the
// handlers are shared, and a broadcast's frame is written as one buffer. These check that what depended on
// them did not change: the history cursor in the query, the client a budget and a penalty are charged to
// (behind a tunnel, the one its upgrade's X-Forwarded-For names), and the messages a broadcast delivers.
import { Hono } from 'hono';
import { type Socket as ClientSocket, io } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { clientOfRequest, type RateLimitedConnection } from '../../src/adapters/http/http-rate-limits.js';
import { NodeHttpServer } from '../../src/adapters/http/node-http-server.js';
import type { FrontEndDeps } from '../../src/adapters/users/send-from-user.js';
import { SendLimits } from '../../src/adapters/users/send-limits.js';
import { SocketIoUserPush } from '../../src/adapters/users/socket-io-user-push.js';
import type { ForwardMessage } from '../../src/application/messaging/forward-message.js';
import type { HistoryQuery } from '../../src/application/messaging/read-history.js';
import type { HistoryEntry } from '../../src/domain/delivery.js';
import { waitFor } from '../interop/plain-node/wait-for.js';

const open = { ratePerSecond: 0, burst: 0 };

/** A socket.io front end on its own HTTP server, wired by hand: what it was asked and whom it penalized. */
async function frontEnd(options: { addressBurst?: number; cutOffAfter?: number } = {}) {
  const queries: HistoryQuery[] = [];
  const penalized: RateLimitedConnection[] = [];
  let sends = 0;
  const limits = new SendLimits(
    {
      connection: { ratePerSecond: 0.001, burst: 1_000 },
      account: open,
      // Refills one send in 1000 s: the burst is all an address gets in a test.
      address: { ratePerSecond: 0.001, burst: options.addressBurst ?? 1_000 },
      cutOff: { refusals: options.cutOffAfter ?? 0, windowSeconds: 60, penaltySeconds: 5 },
    },
    () => Date.now(),
    // Behind a tunnel: the client is the last X-Forwarded-For entry of a connection from loopback.
    true,
  );
  const deps = {
    registry: { self: { id: 'a', url: 'http://127.0.0.1:1' }, list: () => [] },
    history: (query: HistoryQuery) => {
      queries.push(query);
      return { messages: [], more: false };
    },
    olderHistory: () => ({ messages: [], more: false }),
    mesh: () => ({ nodes: [], links: [] }),
    errors: { report: (error: unknown) => expect.unreachable(String(error)) },
    accounts: {
      authenticate: { execute: () => expect.unreachable('no logins here') },
      presence: { opened: () => {}, closed: () => {} },
    },
    limits,
    addresses: { penalize: (request: RateLimitedConnection) => penalized.push(request) },
  } as unknown as FrontEndDeps;
  const forward = {
    execute: async () => ({ ok: true, id: `m${++sends}`, status: 'delivered' }),
  } as unknown as ForwardMessage;
  const http = new NodeHttpServer(new Hono());
  const push = new SocketIoUserPush(deps);
  push.attach(http, forward);
  const port = await http.listen(0, '127.0.0.1');
  return {
    url: `http://127.0.0.1:${port}`,
    push,
    queries,
    penalized,
    close: async () => {
      await push.close();
      await http.close();
    },
  };
}

describe('socket.io front end: per-connection state', () => {
  const closers: (() => unknown)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  async function started(options?: Parameters<typeof frontEnd>[0]) {
    const node = await frontEnd(options);
    closers.push(node.close);
    return node;
  }

  async function user(url: string, options: { forwardedFor?: string; query?: Record<string, string> } = {}) {
    const socket = io(url, {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      ...(options.forwardedFor ? { extraHeaders: { 'x-forwarded-for': options.forwardedFor } } : {}),
      ...(options.query ? { query: options.query } : {}),
    });
    closers.push(() => socket.disconnect());
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    return socket;
  }

  const send = (socket: ClientSocket, msg: string) =>
    socket.timeout(10_000).emitWithAck('msg', { to: 'a', msg }) as Promise<{
      ok: boolean;
      error?: { code: string };
    }>;

  it('reads the history cursor from the handshake query', async () => {
    const node = await started();
    await user(node.url, { query: { since: '42' } });
    await waitFor(() => node.queries.length === 1);
    expect(node.queries[0]).toEqual({ since: 42, viewer: undefined });
  });

  it('behind a tunnel, charges each socket to the client its upgrade named, not to the tunnel', async () => {
    const node = await started({ addressBurst: 3 });
    const [one, two] = [
      await user(node.url, { forwardedFor: '203.0.113.7' }),
      await user(node.url, { forwardedFor: '203.0.113.7' }),
    ];
    const other = await user(node.url, { forwardedFor: '203.0.113.8' });
    // The two sockets of 203.0.113.7 share its three sends; 203.0.113.8 has three of its own.
    const shared = [await send(one, '1'), await send(two, '2'), await send(one, '3'), await send(two, '4')];
    expect(shared.map((a) => a.ok)).toEqual([true, true, true, false]);
    expect(shared[3]?.error?.code).toBe('rate_limited');
    expect([await send(other, '1'), await send(other, '2')].map((a) => a.ok)).toEqual([true, true]);
  });

  it('cuts off a flooding socket and penalizes the client its upgrade named', async () => {
    const node = await started({ addressBurst: 1, cutOffAfter: 2 });
    const flooder = await user(node.url, { forwardedFor: '198.51.100.9' });
    const closed = new Promise((resolve) => flooder.once('disconnect', resolve));
    for (let i = 0; i < 10; i++) flooder.emit('msg', { to: 'a', msg: `flood ${i}` });
    await closed;
    expect(node.penalized).toHaveLength(1);
    expect(clientOfRequest(node.penalized[0], true)).toBe('198.51.100.9');
  });

  it('pushes a broadcast to every socket with the same bytes, twice in a row', async () => {
    const node = await started();
    const sockets = await Promise.all(Array.from({ length: 5 }, () => user(node.url)));
    const received: unknown[][] = sockets.map(() => []);
    sockets.forEach((socket, i) => {
      socket.on('msg', (message: unknown) => received[i]?.push(message));
    });
    const message = (id: string) =>
      ({ id, msg: `hello ${'é'.repeat(3)} ${id}`, user: 'u', time: 1, from: 'a' }) as unknown as HistoryEntry;
    expect(node.push.pushMessage(message('1'))).toBe(5);
    expect(node.push.pushMessage(message('2'))).toBe(5);
    await waitFor(() => received.every((r) => r.length === 2));
    for (const r of received) expect(r).toEqual([message('1'), message('2')]);
  });
});
