import { connect } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { MeshNode } from '../../src/mesh-node.js';
import { startTestNode, stopAll } from '../support/nodes.js';
import { connectCliUser, connectSocketIoUser, connectWsUser, type TestUser } from '../support/users.js';

const WAIT = { timeout: 10_000, interval: 20 };
const sortedIds = (nodes: { id: string }[]) => nodes.map((n) => n.id).sort();

async function listOf(url: string): Promise<string[]> {
  return sortedIds((await (await fetch(`${url}/nodes`)).json()) as { id: string }[]);
}

describe('a mesh of real nodes on 127.0.0.1', () => {
  const nodes: MeshNode[] = [];
  const users: TestUser[] = [];

  afterEach(async () => {
    for (const user of users.splice(0)) user.close();
    await stopAll(nodes);
  });

  it('five nodes joining through different seeds all list all five', async () => {
    nodes.push(await startTestNode('n1'));
    for (const [id, seed] of [
      ['n2', 0],
      ['n3', 1],
      ['n4', 0],
      ['n5', 2],
    ] as const) {
      nodes.push(await startTestNode(id, { join: [nodes[seed]?.url ?? ''] }));
    }
    for (const node of nodes) {
      expect(await listOf(node.url)).toEqual(['n1', 'n2', 'n3', 'n4', 'n5']);
    }
  });

  describe.each([
    ['socket.io', (node: MeshNode) => connectSocketIoUser(node.url)],
    ['plain WebSocket /ws', (node: MeshNode) => connectWsUser(node.url)],
    [
      "the CLI's --json mode",
      (node: MeshNode) => {
        const before = node.connectedUsers;
        return connectCliUser(node.url, () => node.connectedUsers > before);
      },
    ],
  ])('users on %s', (_frontEnd, connect) => {
    it('exchange messages between three nodes in every direction, each delivered exactly once, only to the destination', async () => {
      nodes.push(await startTestNode('a'));
      nodes.push(await startTestNode('b', { join: [nodes[0]?.url ?? ''] }));
      nodes.push(await startTestNode('c', { join: [nodes[1]?.url ?? ''] }));
      const usersOf = new Map<string, TestUser[]>();
      for (const node of nodes) {
        const pair = [await connect(node), await connect(node)];
        users.push(...pair);
        usersOf.set(node.id, pair);
      }

      const expected = new Map<string, string[]>(nodes.map((n) => [n.id, []]));
      const sends: Promise<void>[] = [];
      for (const from of nodes) {
        for (const to of nodes) {
          for (let i = 0; i < 3; i++) {
            const text = `${from.id}->${to.id} #${i}`;
            expected.get(to.id)?.push(text);
            const sender = usersOf.get(from.id)?.[i % 2];
            if (!sender) throw new Error(`no user on ${from.id}`);
            sends.push(
              sender.send(to.id, text, `user-${from.id}`).then((ack) => {
                if (ack) expect(ack).toMatchObject({ ok: true, status: 'delivered' });
              }),
            );
          }
        }
      }
      await Promise.all(sends);

      // A fence behind everything: once each user has it, a duplicate of anything earlier would have arrived.
      for (const from of nodes) {
        for (const to of nodes) {
          const text = `${from.id}->${to.id} fence`;
          expected.get(to.id)?.push(text);
          await usersOf.get(from.id)?.[0]?.send(to.id, text, `user-${from.id}`);
        }
      }
      for (const node of nodes) {
        for (const [index, user] of (usersOf.get(node.id) ?? []).entries()) {
          const want = [...(expected.get(node.id) ?? [])].sort();
          // Messages delivered to this node; those with a `status` are ones its other user sent elsewhere.
          const delivered = () => user.messages.filter((m) => m.status === undefined);
          await vi.waitFor(() => {
            expect(delivered().filter((m) => m.msg.endsWith('fence'))).toHaveLength(nodes.length);
            expect(delivered().length).toBeGreaterThanOrEqual(want.length);
          }, WAIT);
          expect(
            delivered()
              .map((m) => m.msg)
              .sort(),
          ).toEqual(want);
          for (const m of delivered()) {
            expect(m.to).toBe(node.id);
            expect(m.from).toBe(m.msg.split('->')[0]);
            expect(m.user).toBe(`user-${m.from}`);
            expect(new Date(m.ts).getTime()).not.toBeNaN();
          }
          expect(new Set(delivered().map((m) => m.id)).size).toBe(want.length);
          // The users of one node share its conversations: each sees what the other sent to other nodes, once.
          const sentByOther = nodes
            .filter((to) => to.id !== node.id)
            .flatMap((to) =>
              [0, 1, 2].filter((i) => i % 2 !== index).map((i) => `${node.id}->${to.id} #${i}`),
            );
          const shown = user.messages.filter((m) => m.status !== undefined && !m.msg.endsWith('fence'));
          expect(shown.map((m) => m.msg).sort()).toEqual(sentByOther.sort());
          expect(user.errors()).toEqual([]);
        }
      }
    });
  });

  it('acknowledges a message delivered at once before its status event reaches the sender', async () => {
    // These nodes keep their messages in memory, where every store write resolves at once: the case where the
    // status of a copy delivered at the first attempt is ready before the ack.
    nodes.push(await startTestNode('a'));
    nodes.push(await startTestNode('b', { join: [nodes[0]?.url ?? ''] }));
    const user = await connectSocketIoUser(nodes[0]?.url ?? '');
    users.push(user);
    const order: string[] = [];
    user.socket.on('status', (update: { id: string }) => order.push(`status ${update.id}`));
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      // Recorded in the ack callback itself: both arrive on one socket, in the order they were sent.
      const ack = await new Promise<{ ok: boolean; id: string; status: string }>((resolve) =>
        user.socket.emit(
          'msg',
          { to: 'b', msg: `m${i}` },
          (answer: { ok: boolean; id: string; status: string }) => {
            order.push(`ack ${answer.id}`);
            resolve(answer);
          },
        ),
      );
      expect(ack).toMatchObject({ ok: true, status: 'delivered' });
      ids.push(ack.id);
    }
    await vi.waitFor(() => expect(order.filter((e) => e.startsWith('status'))).toHaveLength(5), WAIT);
    for (const id of ids) expect(order.indexOf(`ack ${id}`)).toBeLessThan(order.indexOf(`status ${id}`));
  });

  it('refuses a destination never seen at once, and queues for one that stopped answering', async () => {
    nodes.push(await startTestNode('a'));
    nodes.push(await startTestNode('b', { join: [nodes[0]?.url ?? ''] }));
    const user = await connectSocketIoUser(nodes[0]?.url ?? '');
    users.push(user);
    expect(await user.send('nobody', 'x')).toMatchObject({ ok: false, error: { code: 'unknown_node' } });
    await nodes[1]?.stop({ leave: false });
    const ack = await user.send('b', 'are you there?');
    expect(ack).toMatchObject({ ok: true, status: 'queued' });
    const bad = await user.send('b', 42 as unknown as string);
    expect(bad).toMatchObject({ ok: false, error: { code: 'invalid_message' } });
  });

  it('pushes the node list to users on connect and whenever it changes', async () => {
    nodes.push(await startTestNode('a'));
    const user = await connectSocketIoUser(nodes[0]?.url ?? '');
    users.push(user);
    await vi.waitFor(() => expect(user.nodeLists.at(-1)?.map((n) => n.id)).toEqual(['a']), WAIT);
    nodes.push(await startTestNode('b', { join: [nodes[0]?.url ?? ''] }));
    await vi.waitFor(() => expect(user.nodeLists.at(-1)?.map((n) => n.id)).toEqual(['a', 'b']), WAIT);
    await nodes[1]?.stop();
    await vi.waitFor(() => expect(user.nodeLists.at(-1)?.map((n) => n.id)).toEqual(['a']), WAIT);
  });

  it('survives a WebSocket upgrade to an unknown path that is then reset, and still stops at once', async () => {
    const node = await startTestNode('a');
    nodes.push(node);
    const { port } = new URL(node.url);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write(
          'GET /elsewhere HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
            'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
        );
      });
      socket.once('data', (data) => {
        socket.resetAndDestroy();
        resolve(data.toString());
      });
      socket.once('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 404/);
    expect(await (await fetch(`${node.url}/nodes`)).json()).toEqual([
      {
        id: 'a',
        url: node.url,
        incarnation: node.registry.self.incarnation,
        state: 'alive',
        directory: expect.any(Number),
        catalog: expect.any(Number),
        // `link: true`: the node offers a peer link (SPEC section 8), on its own entry only.
        link: true,
        // Without a data dir a node keeps no key and signs nothing (test/integration/signed-identity.test.ts
        // covers keyed records).
        verified: false,
      },
    ]);

    // A client that upgrades and then goes silent must not hold the node open when it stops.
    const silent = await connectWsUser(node.url);
    users.push(silent);
    silent.raw.pause();
    await node.stop();
    expect(node.connectedUsers).toBe(0);
  });

  it('answers an unparsable /ws frame with an error frame and keeps the connection', async () => {
    nodes.push(await startTestNode('a'));
    const user = await connectWsUser(nodes[0]?.url ?? '');
    users.push(user);
    user.raw.send('this is not json');
    await vi.waitFor(() => expect(user.frames.some((f) => f.type === 'error')).toBe(true), WAIT);
    expect(await user.send('a', 'still here')).toMatchObject({ ok: true, status: 'delivered' });
    await vi.waitFor(() => expect(user.messages.map((m) => m.msg)).toEqual(['still here']), WAIT);
  });
});
