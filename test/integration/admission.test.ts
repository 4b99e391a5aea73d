// Admission between real nodes on 127.0.0.1: a destination that answers but cannot keep up (node B, whose store
// holds every incoming message until the test lets it go) gets no more than the admission bound from A's
// users. Past it, a send over socket.io or /ws is refused at once with `destination_busy` and `retryAfter`;
// everything A took reaches B once, in order, when B catches up, nothing refused ever does, and then A takes
// new messages again.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryMessageStore } from '../../src/adapters/storage/memory-message-store.js';
import { DEFAULT_MESSAGE_STORE_SETTINGS } from '../../src/adapters/storage/message-store-settings.js';
import type { MessageStore } from '../../src/application/ports/message-store.js';
import type { MeshNode } from '../../src/mesh-node.js';
import { RecordingPushNotifier } from '../fakes/recording-push-notifier.js';
import { startTestNode, stopAll } from '../support/nodes.js';
import { LINK_DEADLINE_MS, POLL_MS } from '../support/peer-links.js';
import { type Ack, connectSocketIoUser, connectWsUser, type TestUser } from '../support/users.js';

const nodes: MeshNode[] = [];
const users: TestUser[] = [];
afterEach(async () => {
  for (const user of users.splice(0)) user.close();
  await stopAll(nodes);
});

/** A real store whose `accept` (a message arriving for this node's users) waits while the gate is shut. */
function slowStore() {
  let release = () => {};
  let gate: Promise<void> | undefined;
  const store = new MemoryMessageStore(DEFAULT_MESSAGE_STORE_SETTINGS);
  const slow = new Proxy(store, {
    get(target, prop) {
      const value = Reflect.get(target, prop);
      if (typeof value !== 'function') return value;
      if (prop !== 'accept') return value.bind(target);
      return async (...args: Parameters<MessageStore['accept']>) => {
        await gate;
        return target.accept(...args);
      };
    },
  });
  return {
    store: slow as MessageStore,
    shut: () => {
      gate = new Promise<void>((resolve) => {
        release = resolve;
      });
    },
    open: () => release(),
  };
}

describe('admission of users’ messages for a destination that falls behind', () => {
  it('refuses sends past the bound with retryAfter, loses nothing it took, and takes sends again after', async () => {
    const seenByB = new RecordingPushNotifier();
    const slow = slowStore();
    const b = await startTestNode('b', { push: [seenByB], messages: slow.store });
    nodes.push(b);
    const a = await startTestNode('a', {
      join: [b.url],
      // A call to B waits for B as long as the test needs: B is slow, not gone.
      config: { delivery: { admitMaxWaiting: 3, admitMaxWaitMs: 0 }, peerTimeoutMs: 60_000 },
    });
    nodes.push(a);
    const limits = (await (await fetch(`${a.url}/limits`)).json()) as Record<string, unknown>;
    expect(limits.admission).toEqual({ maxWaiting: 3, maxWaitMs: 0 });

    const socket = await connectSocketIoUser(a.url);
    const ws = await connectWsUser(a.url);
    users.push(socket, ws);
    slow.shut();
    // Three are taken (the first is sent and held at B, two wait behind it); the fourth and fifth are refused.
    const taken = [0, 1, 2].map((i) => socket.send('b', `x-${i}`));
    const refusedSocket = await socket.send('b', 'x-3');
    const refusedWs = await ws.send('b', 'x-4');
    for (const refused of [refusedSocket, refusedWs]) {
      expect(refused).toMatchObject({
        ok: false,
        error: { code: 'destination_busy', retryAfter: 1, message: expect.stringContaining('"b"') },
      });
    }
    expect(refusedWs).toMatchObject({ type: 'ack' });

    slow.open();
    const acks = (await Promise.all(taken)) as Ack[];
    for (const ack of acks) expect(ack.ok).toBe(true);
    const mine = () => seenByB.texts().filter((text) => /^[xy]-/.test(text));
    await vi.waitFor(() => expect(mine()).toEqual(['x-0', 'x-1', 'x-2']), {
      timeout: LINK_DEADLINE_MS,
      interval: POLL_MS,
    });

    // B has caught up: both front ends' sends are taken again. They arrive after the three, and the two
    // refused messages never do.
    expect(await socket.send('b', 'y-0')).toMatchObject({ ok: true });
    expect(await ws.send('b', 'y-1')).toMatchObject({ ok: true });
    await vi.waitFor(() => expect(mine()).toHaveLength(5), { timeout: LINK_DEADLINE_MS, interval: POLL_MS });
    expect(mine()).toEqual(['x-0', 'x-1', 'x-2', 'y-0', 'y-1']);
  });
});
