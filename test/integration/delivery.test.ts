// Durable delivery between real `meshchat node` processes on 127.0.0.1: the outbox across a destination's and an
// origin's crash (SIGKILL) and restart, de-duplication across a restart, expiry, a broadcast reaching a plain
// node too, and history with a `since` cursor. Run `npm run build` first: these tests run dist/cli.js. Every
// wait polls a condition with a deadline; "nothing more arrives" is shown with a marker message sent after, on
// the same path, rather than by watching for a while.
import { describe, expect, it, vi } from 'vitest';
import { detectionBoundMs, MEMBERSHIP_PROFILES } from '../../src/application/membership/settings.js';
import { startPlainNode } from '../interop/plain-node/spawn.js';
import { CI_MARGIN_MS, cliNodes, POLL_MS } from '../support/cli-nodes.js';
import {
  type Ack,
  connectSocketIoUser,
  connectWsUser,
  type ReceivedMessage,
  type SocketIoTestUser,
  type TestUser,
} from '../support/users.js';

/** A crashed node is off every list by then (6 s on the LAN profile, plus the margin). */
const DROP_DEADLINE_MS = detectionBoundMs(MEMBERSHIP_PROFILES.lan) + CI_MARGIN_MS;
/**
 * A restarted destination announces itself at its join; the origin sees it alive and restarts its backoff, so
 * the outbox drains within a few seconds. There is no flag for faster retries: this deadline is generous.
 */
const REDELIVERY_DEADLINE_MS = 25_000;
/** What happens at once on a quiet machine (a push, a history event, a message delivered on first try). */
const SOON_MS = 5_000;

const { plainNodes, users, startNode, durable, crash, connectUser } = cliNodes();

/** The `history` event a node sends on connect. */
async function firstHistory(user: SocketIoTestUser): Promise<ReceivedMessage[]> {
  await vi.waitFor(() => expect(user.histories.length).toBeGreaterThan(0), {
    timeout: SOON_MS,
    interval: POLL_MS,
  });
  return user.histories[0] ?? [];
}

/** What a user who has just connected to `url` is shown as history. */
async function historyOf(url: string): Promise<ReceivedMessage[]> {
  const user = await connectSocketIoUser(url);
  try {
    return await firstHistory(user);
  } finally {
    user.close();
  }
}

/** Everything `user` was shown that `from` sent: its history on connect, then what was pushed live. */
function seenFrom(user: SocketIoTestUser, from: string): ReceivedMessage[] {
  return [...(user.histories[0] ?? []), ...user.messages].filter((m) => m.from === from);
}

/** How many times each id occurs. */
function countById(messages: readonly { id?: string }[]): Map<string | undefined, number> {
  const counts = new Map<string | undefined, number>();
  for (const m of messages) counts.set(m.id, (counts.get(m.id) ?? 0) + 1);
  return counts;
}

/**
 * Waits until `user` has the marker sent after `sent` on the same lane from node a, then checks it holds every
 * one of `sent` (with their `ids`) exactly once and in order, the marker last.
 */
async function expectOnceInOrderAfterMarker(
  user: SocketIoTestUser,
  sent: readonly string[],
  ids: readonly (string | undefined)[],
): Promise<void> {
  await vi.waitFor(() => expect(user.messages.map((m) => m.msg)).toContain('marker'), {
    timeout: SOON_MS,
    interval: POLL_MS,
  });
  const seen = seenFrom(user, 'a');
  expect(seen.map((m) => m.msg)).toEqual([...sent, 'marker']);
  expect(seen.slice(0, sent.length).map((m) => m.id)).toEqual(ids);
  expect([...countById(seen).values()].every((n) => n === 1)).toBe(true);
}

async function sendAll(user: TestUser, to: string, texts: readonly string[]): Promise<(Ack | undefined)[]> {
  const acks: (Ack | undefined)[] = [];
  // One after another: the order of the acks is the order the node accepted them in.
  for (const text of texts) acks.push(await user.send(to, text));
  return acks;
}

async function listedIds(url: string): Promise<string[]> {
  const response = await fetch(`${url}/nodes`, { signal: AbortSignal.timeout(2_000) });
  expect(response.ok).toBe(true);
  return ((await response.json()) as { id: string }[]).map((n) => n.id).sort();
}

async function putMsg(url: string, body: object): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${url}/msg`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(SOON_MS),
  });
  return { status: response.status, body: await response.json() };
}

const texts = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);

describe('durable delivery between meshchat processes', () => {
  it('queues messages for a crashed destination and delivers all 20 once, in order, after it restarts', async () => {
    const a = await startNode('a');
    const bAt = await durable();
    const b = await startNode('b', { ...bAt, join: [a.url] });
    const alice = await connectUser(a.url);
    expect(await alice.send('nobody', 'anyone there?')).toMatchObject({
      ok: false,
      error: { code: 'unknown_node' },
    });

    await crash(b);
    const sent = texts('m', 20);
    const acks = await sendAll(alice, 'b', sent);
    for (const ack of acks) expect(ack).toEqual({ ok: true, id: expect.any(String), status: 'queued' });
    const ids = acks.map((ack) => ack?.id);
    expect(new Set(ids).size).toBe(20);

    // Down for a while: a finds b dead while its outbox backs off.
    await vi.waitFor(async () => expect(await listedIds(a.url)).toEqual(['a']), {
      timeout: DROP_DEADLINE_MS,
      interval: POLL_MS,
    });
    expect(alice.statuses).toEqual([]);

    // Same id, port and data dir. --join is given as an operator would: whether b saved its known nodes
    // before the kill depends on the save interval, and rejoining from them is membership.test.ts's subject.
    const restartedAt = Date.now();
    const again = await startNode('b', { ...bAt, join: [a.url] });
    expect(again.url).toBe(b.url);
    const bob = await connectUser(again.url);
    await vi.waitFor(() => expect(seenFrom(bob, 'a').length).toBeGreaterThanOrEqual(20), {
      timeout: REDELIVERY_DEADLINE_MS,
      interval: POLL_MS,
    });
    console.info(`outbox: b's user had all 20 ${Date.now() - restartedAt} ms after b was restarted`);
    await vi.waitFor(() => expect(alice.statuses.length).toBeGreaterThanOrEqual(20), {
      timeout: SOON_MS,
      interval: POLL_MS,
    });

    // One more on the same lane: once bob has it, no copy of the 20 can still be on its way.
    const marker = await alice.send('b', 'marker');
    expect(marker).toMatchObject({ ok: true, status: 'delivered' });
    await expectOnceInOrderAfterMarker(bob, sent, ids);
    for (const m of bob.messages) expect(m.seq).toEqual(expect.any(Number));

    // The marker's own status event (its history entry turning delivered) may or may not have arrived yet:
    // it is not one of the 20, and nothing else may be there.
    const ofTheTwenty = alice.statuses.filter((s) => s.id !== marker?.id);
    expect(alice.statuses.length - ofTheTwenty.length).toBeLessThanOrEqual(1);
    expect(ofTheTwenty).toHaveLength(20);
    expect(ofTheTwenty.map((s) => s.id).sort()).toEqual([...ids].sort());
    for (const status of ofTheTwenty) {
      expect(status).toEqual({
        id: expect.any(String),
        to: 'b',
        node: 'b',
        status: 'delivered',
        seq: expect.any(Number),
      });
    }
  }, 60_000);

  it("keeps a crashed origin's outbox: after both restart, the destination's users get all 20 once, in order", async () => {
    const aAt = await durable();
    const bAt = await durable();
    const a = await startNode('a', aAt);
    const b = await startNode('b', { ...bAt, join: [a.url] });
    const alice = await connectUser(a.url);

    await crash(b);
    const sent = texts('m', 20);
    const acks = await sendAll(alice, 'b', sent);
    for (const ack of acks) expect(ack).toEqual({ ok: true, id: expect.any(String), status: 'queued' });
    const ids = acks.map((ack) => ack?.id ?? '');
    // A `queued` ack comes after the outbox write is durable, so the kill loses nothing.
    await crash(a);

    // b comes back first, alone (its only peer is down); then a, through b, with its outbox.
    const bAgain = await startNode('b', bAt);
    expect(bAgain.url).toBe(b.url);
    const bobs = [await connectUser(bAgain.url), await connectUser(bAgain.url)];
    const aAgain = await startNode('a', { ...aAt, join: [bAgain.url] });
    expect(aAgain.url).toBe(a.url);

    for (const bob of bobs) {
      await vi.waitFor(() => expect(seenFrom(bob, 'a').length).toBeGreaterThanOrEqual(20), {
        timeout: REDELIVERY_DEADLINE_MS,
        interval: POLL_MS,
      });
    }
    // a's outbox has drained: its history shows each of the 20 delivered (an entry is marked so after its
    // outbox row is removed, so nothing of them is left to resend).
    await vi.waitFor(
      async () => {
        const history = await historyOf(aAgain.url);
        const status = new Map(history.map((m) => [m.id, m.status]));
        expect(ids.map((id) => status.get(id))).toEqual(ids.map(() => 'delivered'));
      },
      { timeout: REDELIVERY_DEADLINE_MS, interval: 250 },
    );

    // One more on the same lane: once b's users have it, no copy of the 20 can still be on its way.
    const alice2 = await connectUser(aAgain.url);
    expect(await alice2.send('b', 'marker')).toMatchObject({ ok: true, status: 'delivered' });
    for (const bob of bobs) {
      await expectOnceInOrderAfterMarker(bob, sent, ids);
    }
  }, 60_000);

  it('pushes a message PUT three times to users once, and once more after the receiver restarts', async () => {
    const { dataDir } = await durable();
    const b = await startNode('b', { dataDir });
    const bob = await connectUser(b.url);
    const body = {
      id: 'elsewhere-42',
      from: 'elsewhere',
      to: 'b',
      msg: 'only once',
      ts: new Date().toISOString(),
    };

    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await putMsg(b.url, body));
    expect(answers).toEqual([
      { status: 200, body: { ok: true, status: 'delivered', id: body.id } },
      { status: 200, body: { ok: true, status: 'duplicate', id: body.id } },
      { status: 200, body: { ok: true, status: 'duplicate', id: body.id } },
    ]);
    // A push follows its PUT's answer in order: once bob has the marker, every copy has had its chance.
    await putMsg(b.url, { ...body, id: 'marker-1', msg: 'marker 1' });
    await vi.waitFor(() => expect(bob.messages.map((m) => m.id)).toContain('marker-1'), {
      timeout: SOON_MS,
      interval: POLL_MS,
    });
    expect(bob.messages.map((m) => m.id)).toEqual([body.id, 'marker-1']);

    await crash(b);
    const again = await startNode('b', { dataDir });
    const carol = await connectUser(again.url);
    expect(await putMsg(again.url, body)).toEqual({
      status: 200,
      body: { ok: true, status: 'duplicate', id: body.id },
    });
    await putMsg(again.url, { ...body, id: 'marker-2', msg: 'marker 2' });
    await vi.waitFor(() => expect(carol.messages.map((m) => m.id)).toContain('marker-2'), {
      timeout: SOON_MS,
      interval: POLL_MS,
    });
    const history = await firstHistory(carol);
    expect(history.filter((m) => m.id === body.id)).toEqual([
      expect.objectContaining({
        id: body.id,
        from: 'elsewhere',
        to: 'b',
        msg: 'only once',
        seq: expect.any(Number),
      }),
    ]);
    expect(carol.messages.map((m) => m.id)).toEqual(['marker-2']);
  });

  it('tells the sender a message expired when its destination stayed down past the time to live', async () => {
    const a = await startNode('a', { extra: ['--message-ttl', '3s'] });
    const b = await startNode('b', { join: [a.url] });
    const alice = await connectUser(a.url);
    await crash(b);

    const sentAt = Date.now();
    const ack = await alice.send('b', 'too late');
    expect(ack).toEqual({ ok: true, id: expect.any(String), status: 'queued' });
    await vi.waitFor(
      () =>
        expect(alice.statuses).toEqual([
          {
            id: ack?.id,
            to: 'b',
            node: 'b',
            status: 'expired',
            seq: expect.any(Number),
            error: { code: 'expired', message: expect.any(String) },
          },
        ]),
      { timeout: 15_000, interval: POLL_MS },
    );
    const took = Date.now() - sentAt;
    console.info(`expiry: a 3 s message reported expired ${took} ms after it was sent`);
    // Not before its time to live (a little slack for the two processes' clocks being read at different moments).
    expect(took).toBeGreaterThanOrEqual(2_900);

    // History agrees: the message is marked expired, at the cursor the event gave.
    const entry = (await historyOf(a.url)).find((m) => m.id === ack?.id);
    expect(entry).toMatchObject({
      from: 'a',
      to: 'b',
      msg: 'too late',
      status: 'expired',
      seq: alice.statuses[0]?.seq,
    });
  });

  it("broadcasts to every node once, a plain node included, and to the sending node's other users", async () => {
    const m1 = await startNode('m1');
    const rest = await Promise.all(['m2', 'm3', 'm4'].map((id) => startNode(id, { join: [m1.url] })));
    const plain = await startPlainNode({ id: 'p', join: m1.url });
    plainNodes.push(plain);
    const meshchat = [m1, ...rest];
    const everyone = ['m1', 'm2', 'm3', 'm4', 'p'];
    await vi.waitFor(
      async () => {
        for (const node of meshchat) expect(await listedIds(node.url)).toEqual(everyone);
      },
      { timeout: SOON_MS + CI_MARGIN_MS, interval: POLL_MS },
    );

    // The sender hears of its broadcast through the ack; every other user, on its node too, gets it once.
    const sender = await connectUser(m1.url);
    const meshUsers = [
      await connectUser(m1.url),
      ...(await Promise.all(rest.map((n) => connectUser(n.url)))),
    ];
    const plainUser = await connectUser(plain.url);
    const all = [...meshUsers, plainUser];

    const ack = await sender.send('*', 'to everyone');
    const copies = (user: TestUser, text: string) => user.messages.filter((m) => m.msg === text);
    await vi.waitFor(
      () => {
        for (const user of meshUsers) expect(copies(user, 'to everyone')).toHaveLength(1);
      },
      { timeout: SOON_MS, interval: POLL_MS },
    );
    await vi.waitFor(
      () =>
        expect(
          copies(plainUser, 'to everyone'),
          `the plain node's user (ack ${JSON.stringify(ack)}, status events ${JSON.stringify(sender.statuses)})`,
        ).toHaveLength(1),
      { timeout: SOON_MS, interval: POLL_MS },
    );
    expect(ack).toEqual({ ok: true, id: expect.any(String), status: 'delivered' });
    for (const user of all) {
      expect(copies(user, 'to everyone')).toEqual([
        expect.objectContaining({ id: ack?.id, from: 'm1', msg: 'to everyone' }),
      ]);
    }

    // A second broadcast follows the first on every lane: once everyone has it, no copy of the first is left.
    expect(await sender.send('*', 'marker')).toMatchObject({ ok: true, status: 'delivered' });
    await vi.waitFor(
      () => {
        for (const user of all) expect(copies(user, 'marker')).toHaveLength(1);
      },
      { timeout: SOON_MS, interval: POLL_MS },
    );
    for (const user of all) expect(user.messages.map((m) => m.msg)).toEqual(['to everyone', 'marker']);
    expect(sender.messages).toEqual([]);
    // Every node took both on the first try: one `delivered` status event per node and message.
    await vi.waitFor(() => expect(sender.statuses).toHaveLength(8), { timeout: SOON_MS, interval: POLL_MS });
    expect(new Set(sender.statuses.map((s) => s.status))).toEqual(new Set(['delivered']));
    expect(new Set(sender.statuses.map((s) => s.node))).toEqual(new Set(['m2', 'm3', 'm4', 'p']));
  });

  it('sends a user who connects the history it missed, and with a since cursor only what is newer', async () => {
    const a = await startNode('a');
    const b = await startNode('b', { join: [a.url] });
    const alice = await connectUser(a.url);
    for (const ack of await sendAll(alice, 'b', ['h1', 'h2', 'h3'])) {
      expect(ack).toMatchObject({ ok: true, status: 'delivered' });
    }

    const bob = await connectUser(b.url);
    const first = await firstHistory(bob);
    expect(first).toEqual(
      ['h1', 'h2', 'h3'].map((msg) =>
        expect.objectContaining({ from: 'a', to: 'b', msg, seq: expect.any(Number) }),
      ),
    );
    const firstSeqs = first.map((m) => m.seq ?? Number.NaN);
    expect(firstSeqs).toEqual([...firstSeqs].sort((x, y) => x - y));
    expect(new Set(firstSeqs).size).toBe(3);
    bob.close();

    for (const ack of await sendAll(alice, 'b', ['h4', 'h5'])) {
      expect(ack).toMatchObject({ ok: true, status: 'delivered' });
    }
    const since = Math.max(...firstSeqs);
    const back = await connectUser(b.url, { since });
    const missed = await firstHistory(back);
    expect(missed.map((m) => m.msg)).toEqual(['h4', 'h5']);
    for (const m of missed) expect(m.seq).toBeGreaterThan(since);
    expect((missed[0]?.seq ?? 0) < (missed[1]?.seq ?? 0)).toBe(true);

    // The plain WebSocket front end: the same cursor in the query string gives the same entries.
    const ws = await connectWsUser(b.url, { since });
    users.push(ws);
    const wsAll = await connectWsUser(b.url);
    users.push(wsAll);
    const historyFrame = (frames: Record<string, unknown>[]) => frames.find((f) => f.type === 'history');
    await vi.waitFor(
      () => {
        expect(historyFrame(ws.frames)).toBeDefined();
        expect(historyFrame(wsAll.frames)).toBeDefined();
      },
      { timeout: SOON_MS, interval: POLL_MS },
    );
    // Older messages are kept (h1 to h3): the frame says so, and from which id to ask for them.
    expect(historyFrame(ws.frames)).toEqual({
      type: 'history',
      messages: missed,
      more: true,
      before: missed[0]?.id,
    });
    const everything = (historyFrame(wsAll.frames)?.messages ?? []) as ReceivedMessage[];
    expect(everything.map((m) => m.msg)).toEqual(['h1', 'h2', 'h3', 'h4', 'h5']);

    // A live push carries the cursor too, after everything in history; and history came once, on connect.
    expect(await alice.send('b', 'h6')).toMatchObject({ ok: true, status: 'delivered' });
    await vi.waitFor(() => expect(back.messages.map((m) => m.msg)).toEqual(['h6']), {
      timeout: SOON_MS,
      interval: POLL_MS,
    });
    expect(back.messages[0]?.seq).toBeGreaterThan(missed[1]?.seq ?? Number.POSITIVE_INFINITY);
    expect(back.histories).toHaveLength(1);
  });
});
