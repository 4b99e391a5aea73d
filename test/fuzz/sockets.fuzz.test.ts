import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { MeshNode } from '../../src/mesh-node.js';
import { waitFor } from '../interop/plain-node/wait-for.js';
import { FUZZ_SEED } from '../support/fuzz.js';
import { startTestNode, stopAll } from '../support/nodes.js';
import { connectSocketIoUser, connectWsUser, type SocketIoTestUser } from '../support/users.js';

const RESERVED = new Set([
  'connect',
  'connect_error',
  'disconnect',
  'disconnecting',
  'newListener',
  'removeListener',
]);
const value = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
  fc.constantFrom(undefined, null, Number.NaN, -0, 'x'.repeat(70_000)),
);
const messageLike = fc.record(
  {
    to: fc.oneof(fc.constantFrom('fuzzed', '*', 'nobody', 'bob@fuzzed', ''), value),
    msg: fc.oneof(fc.string({ maxLength: 100 }), value),
    user: value,
    from: value,
    id: value,
    ref: value,
    type: fc.oneof(fc.constantFrom('msg', 'auth', 'ack', 'error'), value),
    token: value,
  },
  { requiredKeys: [] },
);

/** A request for a page of older history (`older`) with hostile values; `ids` are ids of messages kept. */
const olderLike = (ids: readonly string[]) =>
  fc.record(
    {
      type: fc.constant('older'),
      before: fc.oneof(
        fc.constantFrom(...ids),
        fc.constantFrom('', 'x'.repeat(128), 'x'.repeat(129), 'nobody-knows-this-id', '__proto__'),
        fc.string({ maxLength: 140 }),
        value,
      ),
      limit: fc.oneof(
        fc.integer({ min: -5, max: 1_000 }),
        fc.constantFrom(0, 1, 500, 501, 1e9, Number.MAX_SAFE_INTEGER, 2 ** 53 + 2, 1.5, -0),
        fc.double(),
        value,
      ),
      ref: value,
    },
    { requiredKeys: ['type'] },
  );

/** What an answer to `older` must be: a page of at most 500 messages, or an error with a code and a sentence. */
function expectOlderAnswer(answer: {
  ok?: unknown;
  messages?: unknown;
  more?: unknown;
  error?: { code?: unknown; message?: unknown };
}): void {
  if (answer.ok === true) {
    expect(Array.isArray(answer.messages)).toBe(true);
    expect((answer.messages as unknown[]).length).toBeLessThanOrEqual(500);
    expect(typeof answer.more).toBe('boolean');
  } else {
    expect(answer.ok).toBe(false);
    expect(typeof answer.error?.code).toBe('string');
    expect(typeof answer.error?.message).toBe('string');
  }
}

describe('both socket protocols under arbitrary input, against a real node on loopback (fast-check)', () => {
  const nodes: MeshNode[] = [];
  let node: MeshNode;
  let bystander: SocketIoTestUser;
  const kept: string[] = [];

  beforeAll(async () => {
    // No per-connection budget here: every case must reach the parsing it fuzzes, not the rate limit.
    const open = { ratePerSecond: 0, burst: 0 };
    node = await startTestNode('fuzzed', {
      config: { rateLimits: { connection: open, account: open, address: open } },
    });
    nodes.push(node);
    bystander = await connectSocketIoUser(node.url);
    // Some history, so a request for older pages has pages to read.
    for (let i = 0; i < 30; i++) {
      const ack = (await bystander.send('fuzzed', `kept ${i}`)) as { id?: string };
      if (typeof ack.id === 'string') kept.push(ack.id);
    }
    expect(kept).toHaveLength(30);
  });
  afterAll(async () => {
    bystander.close();
    await stopAll(nodes);
  });

  /** The node still serves, and the user who sent nothing is still connected and still gets messages. */
  async function nodeStillServes(): Promise<void> {
    expect((await fetch(`${node.url}/healthz`)).status).toBe(200);
    expect(bystander.socket.connected).toBe(true);
    const ack = await bystander.send('fuzzed', `still here ${Date.now()}`);
    expect(ack).toMatchObject({ ok: true });
  }

  it('socket.io: arbitrary events and payloads; every msg and older is acknowledged with ok or an error', async () => {
    const fuzzer = await connectSocketIoUser(node.url);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.constant('msg'),
          fc.constant('older'),
          fc.string({ maxLength: 20 }).filter((e) => !RESERVED.has(e)),
        ),
        fc.oneof(messageLike, olderLike(kept), value),
        fc.array(value, { maxLength: 2 }),
        async (event, payload, extra) => {
          if (event === 'older') {
            expectOlderAnswer(await fuzzer.socket.timeout(5_000).emitWithAck('older', payload));
            return;
          }
          if (event !== 'msg') {
            fuzzer.socket.emit(event, payload, ...extra);
            return;
          }
          const ack = (await fuzzer.socket.timeout(5_000).emitWithAck('msg', payload)) as {
            ok?: unknown;
            error?: { code?: unknown; message?: unknown };
          };
          expect(typeof ack.ok).toBe('boolean');
          if (ack.ok === false) {
            expect(typeof ack.error?.code).toBe('string');
            expect(typeof ack.error?.message).toBe('string');
          }
        },
      ),
      { seed: FUZZ_SEED, numRuns: 300 },
    );
    expect(fuzzer.socket.connected).toBe(true);
    fuzzer.close();
    await nodeStillServes();
  });

  it('/ws: arbitrary text and binary frames, older requests among them, each get one answer', async () => {
    const fuzzer = await connectWsUser(node.url);
    const isAnswer = (f: Record<string, unknown>) =>
      f.type === 'ack' || f.type === 'error' || f.type === 'older';
    const answers = () => fuzzer.frames.filter(isAnswer).length;
    // A first frame that is not a login, so a fuzzed `auth` frame later is refused rather than closing.
    fuzzer.raw.send('{"type":"hello"}');
    await waitFor(() => answers() === 1);
    const frame = fc.oneof(
      messageLike.map((f) => JSON.stringify(f) ?? 'null'),
      olderLike(kept).map((f) => JSON.stringify(f)),
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
      fc.string({ maxLength: 200 }),
      fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
    );
    await fc.assert(
      fc.asyncProperty(frame, async (data) => {
        const before = answers();
        const answered = new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('no answer within 5 s')), 5_000);
          const check = () => {
            if (answers() <= before) return;
            clearTimeout(timer);
            fuzzer.raw.off('message', check);
            resolve();
          };
          // After the helper's own listener, which records the frame.
          fuzzer.raw.on('message', check);
        });
        fuzzer.raw.send(data, { binary: Buffer.isBuffer(data) });
        await answered;
        expect(answers()).toBe(before + 1);
        const answer = fuzzer.frames.filter(isAnswer).at(-1) as {
          type: string;
          ok?: unknown;
          error?: { code?: unknown; message?: unknown };
        };
        if (answer.type === 'older') expectOlderAnswer(answer);
        else if (answer.type === 'error' || answer.ok === false) {
          expect(typeof answer.error?.code).toBe('string');
          expect(typeof answer.error?.message).toBe('string');
        }
      }),
      { seed: FUZZ_SEED, numRuns: 300 },
    );
    expect(fuzzer.raw.readyState).toBe(WebSocket.OPEN);
    fuzzer.close();
    await nodeStillServes();
  });

  it('/ws: an oversized frame closes that connection with 1009, and only that one', async () => {
    const other = await connectWsUser(node.url);
    // A large history, so the node is still writing it when the oversized frame arrives: the close frame then
    // waits behind it in the socket, where terminating the socket used to drop it (the client saw 1006).
    const text = 'h'.repeat(60_000);
    await Promise.all(Array.from({ length: 60 }, () => other.send('fuzzed', text)));
    for (let attempt = 0; attempt < 5; attempt++) {
      const big = new WebSocket(`${node.url.replace(/^http/, 'ws')}/ws`);
      await new Promise((resolve, reject) => {
        big.once('open', resolve);
        big.once('error', reject);
      });
      const closed = new Promise<number>((resolve) => big.once('close', (code) => resolve(code)));
      big.on('error', () => {});
      big.send('x'.repeat(600 * 1024));
      expect(await closed).toBe(1009);
    }
    expect(other.raw.readyState).toBe(WebSocket.OPEN);
    expect(await other.send('fuzzed', 'after the big ones')).toMatchObject({ ok: true });
    other.close();
    await nodeStillServes();
  });
});
