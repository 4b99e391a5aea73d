import { io } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { MeshNode } from '../../src/mesh-node.js';
import { waitFor } from '../interop/plain-node/wait-for.js';
import { registerAndLogin } from '../support/accounts-http.js';
import { startTestNode, stopAll } from '../support/nodes.js';
import { type Ack, connectSocketIoUser, connectWsUser, type TestUser } from '../support/users.js';

/** Past the burst (200) but fewer than the cut-off's 100 refusals: refused, not closed. */
const FLOOD = 260;
/** Far past the burst and the cut-off: the connection is closed. */
const BIG_FLOOD = 2_000;

/** Resolves with the HTTP status of a refused `/ws` upgrade, or 101 when it opened. */
function upgradeStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws`);
    ws.once('open', () => {
      ws.terminate();
      resolve(101);
    });
    ws.once('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('error', reject);
  });
}

describe('rate limits on a real node, with the default budgets', () => {
  const nodes: MeshNode[] = [];
  const users: TestUser[] = [];
  afterEach(async () => {
    for (const user of users.splice(0)) user.close();
    await stopAll(nodes);
  });

  async function node(config: Parameters<typeof startTestNode>[1] = {}) {
    const started = await startTestNode('limited', config);
    nodes.push(started);
    return started;
  }

  it("a socket.io user flooding msg is refused with rate_limited, and another user's messages all arrive", async () => {
    const a = await node();
    const flooder = await connectSocketIoUser(a.url);
    const other = await connectSocketIoUser(a.url);
    const listener = await connectSocketIoUser(a.url);
    users.push(flooder, other, listener);
    const flood = Array.from({ length: FLOOD }, (_, i) => flooder.send('limited', `flood ${i}`));
    const others = Array.from({ length: 20 }, (_, i) => other.send('limited', `other ${i}`));
    const [flooded, sent] = await Promise.all([Promise.all(flood), Promise.all(others)]);
    const refused = (flooded as Ack[]).filter((ack) => !ack.ok);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]?.error).toMatchObject({
      code: 'rate_limited',
      message: expect.stringMatching(/try again in \d+ seconds?/),
      retryAfter: expect.any(Number),
    });
    expect((sent as Ack[]).every((ack) => ack.ok)).toBe(true);
    await waitFor(() => listener.messages.filter((m) => m.msg.startsWith('other ')).length === 20);
    expect(listener.messages.filter((m) => m.msg.startsWith('other ')).map((m) => m.msg)).toEqual(
      Array.from({ length: 20 }, (_, i) => `other ${i}`),
    );
    expect(flooder.socket.connected).toBe(true);
  });

  it('a /ws client flooding frames gets rate_limited error frames, stays connected, and others are served', async () => {
    const a = await node();
    const flooder = await connectWsUser(a.url);
    const other = await connectWsUser(a.url);
    users.push(flooder, other);
    for (let i = 0; i < FLOOD; i++) flooder.raw.send('not even JSON');
    await waitFor(() => flooder.frames.filter((f) => f.type === 'error').length === FLOOD);
    await waitFor(() => flooder.frames.some((f) => (f.error as { code?: string })?.code === 'rate_limited'));
    const refusal = flooder.frames.find((f) => (f.error as { code?: string })?.code === 'rate_limited');
    expect(refusal).toMatchObject({
      type: 'error',
      error: { code: 'rate_limited', retryAfter: expect.any(Number) },
    });
    expect(flooder.raw.readyState).toBe(flooder.raw.OPEN);
    const ack = await other.send('limited', 'still here');
    expect(ack).toMatchObject({ ok: true });
  });

  it('HTTP: a client over its budget gets 429 rate_limited with Retry-After, before its body is read', async () => {
    const a = await node();
    const limits = await (await fetch(`${a.url}/limits`)).json();
    expect(limits).toMatchObject({ http: { ratePerSecond: 50, burst: 200 } });
    const statuses: number[] = [];
    let refusal: Response | undefined;
    // Rounds of 50 at once: far faster than the budget refills (50 a second), however loaded the machine.
    for (let round = 0; round < 40 && !refusal; round++) {
      const answers = await Promise.all(
        Array.from({ length: 50 }, () =>
          fetch(`${a.url}/users`, {
            method: 'POST',
            headers: { 'content-type': 'text/plain' },
            body: 'not JSON',
          }),
        ),
      );
      for (const res of answers) {
        statuses.push(res.status);
        if (res.status === 429 && !refusal) refusal = res;
        else await res.body?.cancel();
      }
    }
    expect(new Set(statuses.filter((status) => status !== 429))).toEqual(new Set([415]));
    expect(statuses.filter((status) => status === 415).length).toBeGreaterThanOrEqual(200);
    expect(refusal?.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await refusal?.json()).toEqual({
      error: { code: 'rate_limited', message: expect.stringMatching(/^Too many requests from this address/) },
    });
  });

  it('a socket.io client that keeps flooding is closed and its address kept out, while others are served', async () => {
    const a = await node();
    const other = await connectSocketIoUser(a.url);
    const flooder = await connectSocketIoUser(a.url);
    users.push(other, flooder);
    const errors: { code?: string; closed?: boolean; retryAfter?: number }[] = [];
    flooder.socket.on('error', (e: { error: (typeof errors)[number] }) => errors.push(e.error));
    let reason = '';
    flooder.socket.on('disconnect', (why) => {
      reason = why;
    });
    for (let i = 0; i < BIG_FLOOD; i++) flooder.socket.emit('msg', { to: 'limited', msg: `flood ${i}` });
    const sent = await Promise.all(Array.from({ length: 20 }, (_, i) => other.send('limited', `other ${i}`)));
    expect((sent as Ack[]).every((ack) => ack.ok)).toBe(true);
    await waitFor(() => reason !== '');
    expect(reason).toBe('io server disconnect');
    expect(errors.at(-1)).toMatchObject({ code: 'rate_limited', closed: true, retryAfter: 10 });
    expect(other.socket.connected).toBe(true);
    // Its address waits out the penalty: a new socket.io connection and a /ws upgrade are refused with 429.
    expect(await upgradeStatus(a.url)).toBe(429);
    await expect(connectSocketIoUser(a.url)).rejects.toThrow();
    const polled = await fetch(`${a.url}/socket.io/?EIO=4&transport=polling`);
    expect(polled.status).toBe(429);
    expect(await polled.json()).toMatchObject({ error: { code: 'rate_limited' } });
    expect(await other.send('limited', 'still served')).toMatchObject({ ok: true });
  });

  it('a /ws client that keeps flooding is closed with 4429, while others are served', async () => {
    const a = await node();
    const other = await connectWsUser(a.url);
    const flooder = await connectWsUser(a.url);
    users.push(other, flooder);
    const closed = new Promise<number>((resolve) => flooder.raw.once('close', (code) => resolve(code)));
    for (let i = 0; i < BIG_FLOOD; i++) flooder.raw.send('not even JSON');
    expect(await closed).toBe(4429);
    expect(flooder.frames.at(-1)).toMatchObject({
      type: 'error',
      error: { code: 'rate_limited', closed: true, retryAfter: 10 },
    });
    expect(await other.send('limited', 'still here')).toMatchObject({ ok: true });
    expect(await upgradeStatus(a.url)).toBe(429);
  });

  it('socket.io and /ws upgrades and socket.io polling take from the address budget', async () => {
    // One request in 100 s: what the burst leaves is gone for the rest of the test.
    const a = await node({ config: { rateLimits: { http: { ratePerSecond: 0.01, burst: 4 } } } });
    expect(await upgradeStatus(a.url)).toBe(101);
    const user = await connectSocketIoUser(a.url);
    users.push(user);
    const polled = await fetch(`${a.url}/socket.io/?EIO=4&transport=polling`);
    expect(polled.status).toBe(200);
    await polled.body?.cancel();
    expect((await fetch(`${a.url}/limits`)).status).toBe(200);
    // Four taken: an upgrade, a socket.io handshake, a polling request and GET /limits.
    expect(await upgradeStatus(a.url)).toBe(429);
    const refused = io(a.url, { transports: ['websocket'], forceNew: true, reconnection: false });
    await expect(
      new Promise((resolve, reject) => {
        refused.once('connect', () => resolve(undefined));
        refused.once('connect_error', reject);
      }),
    ).rejects.toThrow();
    refused.close();
    const polling = await fetch(`${a.url}/socket.io/?EIO=4&transport=polling`);
    expect(polling.status).toBe(429);
    expect(polling.headers.get('retry-after')).toMatch(/^\d+$/);
    // A connection already open is not an HTTP request: it keeps sending.
    expect(await user.send('limited', 'still connected')).toMatchObject({ ok: true });
  });

  it("one address's socket.io and /ws connections share its budget; another address is unaffected", async () => {
    // Refills one frame in 1000 s: what the burst of 30 leaves is all the address gets in this test.
    const address = { ratePerSecond: 0.001, burst: 30 };
    const a = await node({ config: { rateLimits: { address } } });
    expect(await (await fetch(`${a.url}/limits`)).json()).toMatchObject({
      address,
      connection: { ratePerSecond: 50, burst: 200 },
    });
    const sockets = await Promise.all(Array.from({ length: 3 }, () => connectSocketIoUser(a.url)));
    const wss = await Promise.all(Array.from({ length: 3 }, () => connectWsUser(a.url)));
    users.push(...sockets, ...wss);
    // Ten each from six connections: each far under its own burst of 200, together twice the address's.
    // A refused `/ws` frame is answered with an error frame (no ack), a refused socket.io event with its ack.
    const acks = (await Promise.all(
      sockets.flatMap((user, u) => Array.from({ length: 10 }, (_, i) => user.send('limited', `${u}.${i}`))),
    )) as Ack[];
    for (const [u, user] of wss.entries())
      for (let i = 0; i < 10; i++)
        user.raw.send(JSON.stringify({ type: 'msg', to: 'limited', msg: `ws ${u}.${i}` }));
    const answered = (user: (typeof wss)[number]) =>
      user.frames.filter((f) => f.type === 'ack' || f.type === 'error');
    await waitFor(() => wss.every((user) => answered(user).length === 10));
    const wsAnswers = wss.flatMap(answered);
    const admitted = acks.filter((ack) => ack.ok).length + wsAnswers.filter((f) => f.ok === true).length;
    expect(admitted).toBe(30);
    const refusals = [
      ...acks.filter((ack) => !ack.ok).map((ack) => ack.error),
      ...wsAnswers.filter((f) => f.type === 'error').map((f) => f.error),
    ];
    expect(refusals.length).toBe(30);
    for (const error of refusals) {
      expect(error).toMatchObject({
        code: 'rate_limited',
        message: expect.stringMatching(/this address's connections sent more than its limit allows/),
        retryAfter: expect.any(Number),
      });
    }
    // A history page draws on the same budget.
    const older = (await sockets[0]?.socket
      .timeout(10_000)
      .emitWithAck('older', { before: 'any-id' })) as Ack;
    expect(older).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
    // Every one of them is refused now, however little it sent itself; a new one from the address too.
    const late = await connectSocketIoUser(a.url);
    users.push(late);
    expect(await late.send('limited', 'late')).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
    // Another client address has a budget of its own.
    const elsewhere = [
      await connectSocketIoUser(a.url, { localAddress: '127.0.0.2' }),
      await connectWsUser(a.url, { localAddress: '127.0.0.2' }),
    ];
    users.push(...elsewhere);
    // Sent one after the other: a `/ws` refusal would leave its send unanswered, and fail on the deadline.
    for (const user of elsewhere)
      for (let i = 0; i < 10; i++)
        expect(await user.send('limited', `elsewhere ${i}`)).toMatchObject({ ok: true });
    expect(sockets.every((user) => user.socket.connected)).toBe(true);
  });

  it("an account's connections share its budget, from different addresses", async () => {
    const account = { ratePerSecond: 0.001, burst: 12 };
    const a = await node({ config: { rateLimits: { account } } });
    const { token } = await registerAndLogin(a.url, 'alice', 'correct horse battery');
    const one = await connectSocketIoUser(a.url, { auth: { token } });
    const two = await connectSocketIoUser(a.url, { auth: { token }, localAddress: '127.0.0.2' });
    const anonymous = await connectSocketIoUser(a.url);
    users.push(one, two, anonymous);
    const acks = (await Promise.all(
      [one, two].flatMap((user, u) =>
        Array.from({ length: 10 }, (_, i) => user.send('limited', `${u}.${i}`)),
      ),
    )) as Ack[];
    expect(acks.filter((ack) => ack.ok).length).toBe(12);
    expect(acks.filter((ack) => !ack.ok).map((ack) => ack.error)).toEqual(
      Array.from({ length: 8 }, () =>
        expect.objectContaining({
          code: 'rate_limited',
          message: expect.stringMatching(/this account sent more than its limit allows/),
        }),
      ),
    );
    // Neither connection nor address is spent: the same address, not logged in, is served.
    expect(await anonymous.send('limited', 'anonymous')).toMatchObject({ ok: true });
  });
});
