import { describe, expect, it } from 'vitest';
import { Lane, type Parcel } from '../../src/application/messaging/lane.js';
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

describe('Lane: removing and expiring', () => {
  const keys = (lane: Lane) => lane.parcels.map((p) => p.entry.key);
  const expiring = (key: number, expiresAt: number): OutboxEntry => ({ ...entry(key, 'm'), expiresAt });

  it('keeps key order as messages leave from the head, the middle and the tail', () => {
    const lane = new Lane('b', { messages: 100, bytes: 1_000_000 });
    for (const key of [1, 2, 3, 5, 6]) lane.insert(entry(key, 'm'), undefined, 0);
    lane.insert(entry(4, 'm'), undefined, 0); // a resumed message with a lower key goes in its place
    expect(keys(lane)).toEqual([1, 2, 3, 4, 5, 6]);
    const [first, second, , fourth, , sixth] = lane.parcels;
    lane.remove(first as Parcel);
    lane.remove(fourth as Parcel);
    lane.remove(sixth as Parcel);
    lane.remove(first as Parcel); // gone already: nothing changes
    expect(keys(lane)).toEqual([2, 3, 5]);
    lane.remove(second as Parcel);
    expect(keys(lane)).toEqual([3, 5]);
  });

  it('finds every expired message not in flight, also one inserted after the lane was last checked', () => {
    const lane = new Lane('b', { messages: 100, bytes: 1_000_000 });
    lane.insert(expiring(1, 100), undefined, 0);
    lane.insert(expiring(2, 300), undefined, 0);
    lane.insert(expiring(3, 200), undefined, 0);
    expect(lane.expiredAt(99)).toEqual([]);
    expect(lane.expiredAt(100).map((p) => p.entry.key)).toEqual([1]);
    lane.remove(lane.parcels[0] as Parcel);
    // Inserted after that check with an earlier end than any left (a message resumed from the store).
    lane.insert(expiring(4, 150), undefined, 0);
    expect(lane.expiredAt(150).map((p) => p.entry.key)).toEqual([4]);
    // One in flight is left to its call, and found once it is back.
    (lane.parcels[1] as Parcel).inFlight = true;
    expect(lane.expiredAt(250).map((p) => p.entry.key)).toEqual([4]);
    (lane.parcels[1] as Parcel).inFlight = false;
    expect(lane.expiredAt(250).map((p) => p.entry.key)).toEqual([3, 4]);
    expect(lane.expiredAt(1_000).map((p) => p.entry.key)).toEqual([2, 3, 4]);
  });
});
