import { describe, expect, it } from 'vitest';
import { Lane } from '../../src/application/messaging/lane.js';
import type { OutboxEntry } from '../../src/domain/delivery.js';
import type { ChatMessage } from '../../src/domain/message.js';

const entry = (key: number, msg: string): OutboxEntry => ({
  key,
  node: 'b',
  url: 'http://b',
  message: { id: `id-${key}`, from: 'a', to: 'b', msg, ts: '2026-01-01T00:00:00.000Z', sig: 's'.repeat(86) },
  expiresAt: 1,
  notify: true,
});

const bytesOf = (message: ChatMessage) => Buffer.byteLength(JSON.stringify(message));

/** The batch the byte bound allows, by exact sizes: the head always, then while the sum fits. */
function expected(entries: readonly OutboxEntry[], messages: number, bytes: number): number[] {
  const keys = [entries[0]?.key as number];
  let sum = bytesOf(entries[0]?.message as ChatMessage);
  for (const e of entries.slice(1, messages)) {
    sum += bytesOf(e.message);
    if (sum > bytes) break;
    keys.push(e.key);
  }
  return keys;
}

describe('Lane.take', () => {
  it('fills a batch up to its byte bound exactly as the messages measure, whatever their characters', () => {
    const texts = ['hi', 'é'.repeat(300), '\u0001'.repeat(200), '😀'.repeat(150), 'x'.repeat(2_000), '"\\'];
    for (const maxBytes of [200, 700, 1_500, 4_000, 20_000, 1_000_000]) {
      const lane = new Lane('b', { messages: 100, bytes: maxBytes });
      const entries = Array.from({ length: 60 }, (_, i) =>
        entry(i + 1, texts[(i * 7) % texts.length] as string),
      );
      for (const e of entries) lane.insert(e, undefined, 0);
      const taken = lane.take(true).map((p) => p.entry.key);
      expect(taken).toEqual(expected(entries, 100, maxBytes));
    }
  });

  it('takes at most the batch limit, and one message when batches are off', () => {
    const lane = new Lane('b', { messages: 5, bytes: 1_000_000 });
    for (let i = 1; i <= 20; i++) lane.insert(entry(i, 'm'), undefined, 0);
    expect(lane.take(true).map((p) => p.entry.key)).toEqual([1, 2, 3, 4, 5]);
    expect(lane.take(false).map((p) => p.entry.key)).toEqual([1]);
    lane.noBatch = true;
    expect(lane.take(true)).toHaveLength(1);
  });
});
