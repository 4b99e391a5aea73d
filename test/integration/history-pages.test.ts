// History a page at a time on a real node (issue 15, item 6): a user is sent the newest page on connect, with
// `more` and the id to page back from, and asks for older pages (socket.io `older` with an ack, `/ws` frame
// `older`) until there are none, getting every message exactly once.
import { io, type Socket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { MeshNode } from '../../src/mesh-node.js';
import { waitFor } from '../interop/plain-node/wait-for.js';
import { startTestNode, stopAll } from '../support/nodes.js';
import { connectSocketIoUser, connectWsUser, type ReceivedMessage, type TestUser } from '../support/users.js';

const COUNT = 250;
const OPEN = { ratePerSecond: 0, burst: 0 };

interface Page {
  ok: boolean;
  messages: ReceivedMessage[];
  more: boolean;
  before?: string;
  error?: { code: string };
}

describe('history pages', () => {
  const nodes: MeshNode[] = [];
  const users: TestUser[] = [];
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const user of users.splice(0)) user.close();
    for (const socket of sockets.splice(0)) socket.close();
    await stopAll(nodes);
  });

  /** A node whose history holds `COUNT` messages, m1 (oldest) to m250. */
  async function nodeWithHistory(): Promise<MeshNode> {
    // Sends unlimited here: the test fills history, it does not test the send budget.
    const node = await startTestNode('paged', {
      config: { rateLimits: { connection: OPEN, account: OPEN, address: OPEN } },
    });
    nodes.push(node);
    const writer = await connectSocketIoUser(node.url);
    users.push(writer);
    for (let i = 1; i <= COUNT; i++) expect(await writer.send('paged', `m${i}`)).toMatchObject({ ok: true });
    return node;
  }

  const all = Array.from({ length: COUNT }, (_, i) => `m${i + 1}`);

  it('socket.io: the newest page and more on connect, then older pages back to m1, each message once', async () => {
    const node = await nodeWithHistory();
    const limits = (await (await fetch(`${node.url}/limits`)).json()) as { history?: unknown };
    expect(limits.history).toEqual({ page: 100, maxPage: 500 });
    const socket = io(node.url, { transports: ['websocket'], forceNew: true, reconnection: false });
    sockets.push(socket);
    const first = await new Promise<{
      messages: ReceivedMessage[];
      info: { more: boolean; before?: string };
    }>((resolve) => socket.once('history', (messages, info) => resolve({ messages, info })));
    expect(first.messages.map((m) => m.msg)).toEqual(all.slice(-100));
    expect(first.info).toEqual({ more: true, before: first.messages[0]?.id });
    const seen = first.messages.map((m) => m.msg);
    let { before, more } = first.info;
    const sizes: number[] = [];
    while (more) {
      const page: Page = await socket.timeout(5_000).emitWithAck('older', { before });
      expect(page.ok).toBe(true);
      sizes.push(page.messages.length);
      seen.unshift(...page.messages.map((m) => m.msg));
      ({ before, more } = page);
      if (page.messages.length > 0) expect(before).toBe(page.messages[0]?.id);
    }
    expect(sizes).toEqual([100, 50]);
    expect(seen).toEqual(all);
    // A limit is honoured (and capped by the node); a request without a message id is refused, clearly.
    const small: Page = await socket
      .timeout(5_000)
      .emitWithAck('older', { before: first.info.before, limit: 3 });
    expect(small.messages.map((m) => m.msg)).toEqual(['m148', 'm149', 'm150']);
    expect(small.more).toBe(true);
    const huge: Page = await socket
      .timeout(5_000)
      .emitWithAck('older', { before: first.info.before, limit: 10_000 });
    expect(huge.messages.map((m) => m.msg)).toEqual(all.slice(0, 150));
    expect(huge.more).toBe(false);
    const bad: Page = await socket.timeout(5_000).emitWithAck('older', { limit: 5 });
    expect(bad).toMatchObject({ ok: false, error: { code: 'invalid_history_request' } });
  });

  it('/ws: the history frame says more and before; older frames page back to m1, each message once', async () => {
    const node = await nodeWithHistory();
    const user = await connectWsUser(node.url);
    users.push(user);
    await waitFor(() => user.frames.some((f) => f.type === 'history'));
    const history = user.frames.find((f) => f.type === 'history') as unknown as Page & { type: string };
    expect(history.messages.map((m) => m.msg)).toEqual(all.slice(-100));
    expect(history).toMatchObject({ more: true, before: history.messages[0]?.id });
    const seen = history.messages.map((m) => m.msg);
    let { before, more } = history;
    for (let ref = 1; more; ref++) {
      user.raw.send(JSON.stringify({ type: 'older', before, ref }));
      await waitFor(() => user.frames.some((f) => f.type === 'older' && f.ref === ref));
      const page = user.frames.find((f) => f.type === 'older' && f.ref === ref) as unknown as Page;
      expect(page.ok).toBe(true);
      seen.unshift(...page.messages.map((m) => m.msg));
      ({ before, more } = page);
    }
    expect(seen).toEqual(all);
    user.raw.send(JSON.stringify({ type: 'older', before: 42, ref: 'bad' }));
    await waitFor(() => user.frames.some((f) => f.ref === 'bad'));
    expect(user.frames.find((f) => f.ref === 'bad')).toMatchObject({
      type: 'error',
      error: { code: 'invalid_history_request' },
    });
  });
});
