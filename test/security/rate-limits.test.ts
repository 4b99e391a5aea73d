import { afterEach, describe, expect, it } from 'vitest';
import type { MeshNode } from '../../src/mesh-node.js';
import { waitFor } from '../interop/plain-node/wait-for.js';
import { startTestNode, stopAll } from '../support/nodes.js';
import { type Ack, connectSocketIoUser, connectWsUser, type TestUser } from '../support/users.js';

const FLOOD = 1_000;

describe('rate limits on a real node, with the default budgets', () => {
  const nodes: MeshNode[] = [];
  const users: TestUser[] = [];
  afterEach(async () => {
    for (const user of users.splice(0)) user.close();
    await stopAll(nodes);
  });

  async function node() {
    const started = await startTestNode('limited');
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
    for (let i = 0; i < 400 && !refusal; i++) {
      const res = await fetch(`${a.url}/users`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: 'not JSON',
      });
      statuses.push(res.status);
      if (res.status === 429) refusal = res;
      else await res.body?.cancel();
    }
    expect(new Set(statuses.slice(0, -1))).toEqual(new Set([415]));
    expect(refusal?.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await refusal?.json()).toEqual({
      error: { code: 'rate_limited', message: expect.stringMatching(/^Too many requests from this address/) },
    });
  });
});
