import { afterEach, describe, expect, it } from 'vitest';
import type { MessageStoreSettings } from '../../src/adapters/storage/message-store-settings.js';
import { StoreClosed } from '../../src/application/errors.js';
import type { MessageStore, NewOutboxEntry } from '../../src/application/ports/message-store.js';
import type { ChatMessage } from '../../src/domain/message.js';

/** A store under test and, for a durable one, a way to restart it over the same data. */
export interface MessageStoreTarget {
  readonly store: MessageStore;
  /** Closes the store and opens a new one over the same data; absent when nothing survives a close. */
  readonly reopen?: () => Promise<MessageStore>;
}

const HOUR = 3_600_000;
const SETTINGS: MessageStoreSettings = { historySize: 100, dedupWindowMs: HOUR, maxSeenIds: 1_000 };

const message = (id: string, to = 'me'): ChatMessage => ({
  id,
  from: 'a',
  to,
  msg: `text of ${id}`,
  ts: '2026-01-01T00:00:00.000Z',
});

const outboxEntry = (id: string, node = 'b', notify = true): NewOutboxEntry => ({
  node,
  url: `http://${node}.mesh.test`,
  message: message(id, node),
  expiresAt: 1_000 + id.length,
  notify,
});

const ids = (entries: readonly { readonly id: string }[]) => entries.map((e) => e.id);

/** What every MessageStore must do, wherever it keeps the data. */
export function describeMessageStoreContract(
  name: string,
  setup: (settings: MessageStoreSettings) => Promise<MessageStoreTarget>,
): void {
  describe(`MessageStore contract: ${name}`, () => {
    const open: MessageStore[] = [];
    afterEach(async () => {
      for (const store of open.splice(0)) await store.close();
    });

    /** The store under test; `reopen` is absent when the adapter keeps nothing across a close. */
    async function start(settings: Partial<MessageStoreSettings> = {}) {
      const target = await setup({ ...SETTINGS, ...settings });
      open.push(target.store);
      const reopenTarget = target.reopen;
      const reopen = reopenTarget
        ? async () => {
            const store = await reopenTarget();
            open.push(store);
            return store;
          }
        : undefined;
      return { store: target.store, reopen };
    }

    it('accept remembers the id and adds the message to history; a second copy resolves undefined, also after a reopen', async () => {
      let { store, reopen } = await start();
      expect(store.seen('m1')).toBe(false);
      const first = store.accept(message('m1'), 0);
      expect(store.seen('m1')).toBe(true);
      const second = store.accept(message('m1'), 0);
      const entry = await first;
      expect(entry).toEqual({ ...message('m1'), seq: expect.any(Number) });
      expect(await second).toBeUndefined();
      expect(store.history()).toEqual([entry]);
      if (reopen) {
        store = await reopen();
        expect(store.seen('m1')).toBe(true);
        expect(await store.accept(message('m1'), 1)).toBeUndefined();
        expect(store.history()).toEqual([entry]);
      }
    });

    it('history lists entries in the order added; since gives only what was added or changed after it, all when above the newest', async () => {
      const { store } = await start();
      const a = await store.accept(message('a'), 0);
      const b = await store.accept(message('b'), 0);
      const c = await store.accept(message('c'), 0);
      await store.enqueue([outboxEntry('d')], { outgoing: message('d', 'b') });
      const all = store.history();
      expect(ids(all)).toEqual(['a', 'b', 'c', 'd']);
      expect(all.slice(0, 3)).toEqual([a, b, c]);
      const seqs = all.map((e) => e.seq);
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
      expect(new Set(seqs).size).toBe(4);
      const newest = seqs[3] as number;
      expect(ids(store.history(b?.seq))).toEqual(['c', 'd']);
      expect(store.history(newest)).toEqual([]);
      expect(store.history(newest + 1_000)).toEqual(all);
      expect(store.history(0)).toEqual(all);
    });

    it('a status change moves the entry cursor above the newest, so history(previous newest) returns it once, in its place', async () => {
      let { store, reopen } = await start();
      await store.accept(message('a'), 0);
      const b = await store.accept(message('b'), 0);
      const previous = b?.seq as number;
      const changed = await store.setStatus('a', 'delivered');
      expect(changed).toEqual({ ...message('a'), seq: expect.any(Number), status: 'delivered' });
      expect(changed?.seq).toBeGreaterThan(previous);
      expect(store.history(previous)).toEqual([changed]);
      expect(store.history()).toEqual([changed, b]);
      expect(store.history(changed?.seq)).toEqual([]);
      if (reopen) {
        store = await reopen();
        expect(store.history()).toEqual([changed, b]);
        expect(store.history(previous)).toEqual([changed]);
      }
      // The cursor keeps growing from the newest change, also after a restart.
      const c = await store.accept(message('c'), 0);
      expect(c?.seq).toBeGreaterThan(changed?.seq as number);
      expect(store.history(changed?.seq)).toEqual([c]);
    });

    it('reads see writes called in the same turn, before they are durable', async () => {
      const { store } = await start();
      const before = await store.accept(message('old'), 0);
      const writes = [
        store.accept(message('a'), 0),
        store.setStatus('old', 'failed'),
        store.enqueue([outboxEntry('x')], { outgoing: message('x', 'b') }),
        store.setStatus('x', 'delivered'),
      ];
      expect(store.seen('a')).toBe(true);
      expect(ids(store.pending().map((e) => e.message))).toEqual(['x']);
      const now = store.history();
      expect(ids(now)).toEqual(['old', 'a', 'x']);
      expect(now.map((e) => e.status)).toEqual(['failed', undefined, 'delivered']);
      expect(ids(store.history(before?.seq))).toEqual(['old', 'a', 'x']);
      await Promise.all(writes);
      expect(store.history()).toEqual(now);
    });

    it('a second status change reads the first as committed: history(since) lists the entry once', async () => {
      const { store } = await start();
      await store.accept(message('a'), 0);
      const b = await store.accept(message('b'), 0);
      const first = await store.setStatus('a', 'delivered');
      const c = await store.accept(message('c'), 0);
      const second = store.setStatus('a', 'failed');
      // `a` is on disk with the first change's cursor, above `b`'s: the pending change must not list it twice.
      expect(ids(store.history(b?.seq))).toEqual(['a', 'c']);
      expect(store.history(first?.seq).map((e) => [e.id, e.status])).toEqual([
        ['a', 'failed'],
        ['c', undefined],
      ]);
      const changed = await second;
      expect(changed).toMatchObject({ id: 'a', status: 'failed' });
      expect(store.history(c?.seq)).toEqual([changed]);
    });

    it('a status change for an entry a committed trim removed resolves undefined', async () => {
      const { store } = await start({ historySize: 2 });
      for (const id of ['m1', 'm2']) await store.accept(message(id), 0);
      await store.setStatus('m1', 'delivered');
      await store.accept(message('m3'), 0);
      expect(await store.setStatus('m1', 'failed')).toBeUndefined();
      expect(await store.setStatus('m2', 'delivered')).toMatchObject({ id: 'm2', status: 'delivered' });
      expect(store.history().map((e) => [e.id, e.status])).toEqual([
        ['m2', 'delivered'],
        ['m3', undefined],
      ]);
    });

    it('setStatus on an id not in history resolves undefined and changes nothing', async () => {
      const { store } = await start();
      const a = await store.accept(message('a'), 0);
      expect(await store.setStatus('nobody', 'delivered')).toBeUndefined();
      expect(store.history()).toEqual([a]);
      expect(store.history(a?.seq)).toEqual([]);
    });

    it('history keeps the newest historySize entries; a status change for one pushed out resolves undefined', async () => {
      let { store, reopen } = await start({ historySize: 3 });
      for (const id of ['m1', 'm2', 'm3']) await store.accept(message(id), 0);
      // In one turn: two additions push out m1 and m2; a status change can reach m3 but no longer m2.
      const writes = [
        store.accept(message('m4'), 0),
        store.setStatus('m3', 'delivered'),
        store.enqueue([outboxEntry('m5')], { outgoing: message('m5', 'b') }),
        store.setStatus('m2', 'delivered'),
      ];
      expect(ids(store.history())).toEqual(['m3', 'm4', 'm5']);
      const [, m3, , m2] = await Promise.all(writes);
      expect(m3).toMatchObject({ id: 'm3', status: 'delivered' });
      expect(m2).toBeUndefined();
      const kept = store.history();
      expect(ids(kept)).toEqual(['m3', 'm4', 'm5']);
      // The ids stay remembered: history size does not bound de-duplication.
      expect(await store.accept(message('m1'), 0)).toBeUndefined();
      if (reopen) {
        store = await reopen();
        expect(store.history()).toEqual(kept);
      }
      for (const id of ['m6', 'm7']) await store.accept(message(id), 0);
      expect(ids(store.history())).toEqual(['m5', 'm6', 'm7']);
    });

    it('historyBefore pages back from the end or from an id, oldest first, in the order added, to the first entry once', async () => {
      let { store, reopen } = await start({ historySize: 10 });
      for (let i = 1; i <= 12; i++) await store.accept(message(`m${i}`), 0);
      // m1 and m2 were pushed out; a status change keeps an entry's place.
      await store.setStatus('m5', 'delivered');
      expect(ids(store.historyBefore(undefined, 4))).toEqual(['m9', 'm10', 'm11', 'm12']);
      expect(ids(store.historyBefore('m9', 4))).toEqual(['m5', 'm6', 'm7', 'm8']);
      expect(store.historyBefore('m9', 4)[0]).toMatchObject({ id: 'm5', status: 'delivered' });
      expect(ids(store.historyBefore('m5', 4))).toEqual(['m3', 'm4']);
      expect(store.historyBefore('m3', 4)).toEqual([]);
      expect(store.historyBefore('m1', 4)).toEqual([]);
      expect(store.historyBefore('nope', 4)).toEqual([]);
      expect(store.historyBefore(undefined, 0)).toEqual([]);
      // Every page together is history, once each.
      const pages: string[] = [];
      let before: string | undefined;
      for (
        let page = store.historyBefore(undefined, 3);
        page.length > 0;
        page = store.historyBefore(before, 3)
      ) {
        pages.unshift(...ids(page));
        before = page[0]?.id;
      }
      expect(pages).toEqual(ids(store.history()));
      if (reopen) {
        store = await reopen();
        expect(ids(store.historyBefore('m9', 4))).toEqual(['m5', 'm6', 'm7', 'm8']);
      }
    });

    it('historyBefore sees writes called in the same turn, and additions that push entries out', async () => {
      const { store } = await start({ historySize: 3 });
      for (const id of ['m1', 'm2', 'm3']) await store.accept(message(id), 0);
      const writes = [store.accept(message('m4'), 0), store.setStatus('m3', 'failed')];
      expect(ids(store.historyBefore(undefined, 10))).toEqual(['m2', 'm3', 'm4']);
      expect(store.historyBefore('m4', 1)[0]).toMatchObject({ id: 'm3', status: 'failed' });
      expect(store.historyBefore('m1', 10)).toEqual([]);
      await Promise.all(writes);
      expect(ids(store.historyBefore('m4', 10))).toEqual(['m2', 'm3']);
    });

    it('enqueue keys grow in call order, across calls and across a reopen, even when the outbox was emptied', async () => {
      let { store, reopen } = await start();
      const first = store.enqueue([outboxEntry('x', 'b'), outboxEntry('x', 'c')]);
      const second = store.enqueue([outboxEntry('y', 'b')]);
      const entries = [...(await first).entries, ...(await second).entries];
      expect(entries).toEqual([
        { ...outboxEntry('x', 'b'), key: expect.any(Number) },
        { ...outboxEntry('x', 'c'), key: expect.any(Number) },
        { ...outboxEntry('y', 'b'), key: expect.any(Number) },
      ]);
      const keys = entries.map((e) => e.key);
      expect(keys).toEqual([...keys].sort((a, b) => a - b));
      expect(new Set(keys).size).toBe(3);
      await store.settle(keys);
      expect(store.pending()).toEqual([]);
      if (reopen) store = await reopen();
      const [next] = (await store.enqueue([outboxEntry('z')])).entries;
      expect(next?.key).toBeGreaterThan(Math.max(...keys));
    });

    it('pending() reflects enqueue and settle at once, before they are durable, and after a reopen', async () => {
      let { store, reopen } = await start();
      const [k1, k2, k3] = (
        await store.enqueue([outboxEntry('a', 'b'), outboxEntry('a', 'c'), outboxEntry('b', 'c', false)])
      ).entries;
      const settled = store.settle([k2?.key as number, 999_999]);
      const added = store.enqueue([outboxEntry('c', 'd')]);
      const [k4] = store.pending().slice(-1);
      expect(store.pending()).toEqual([k1, k3, k4]);
      expect(k4).toMatchObject({ node: 'd', message: message('c', 'd') });
      // Settling an entry in the turn it was queued in removes it too.
      const settledNew = store.settle([k4?.key as number]);
      expect(store.pending()).toEqual([k1, k3]);
      await Promise.all([settled, added, settledNew]);
      expect(await added).toEqual({ entries: [k4] });
      expect(store.pending()).toEqual([k1, k3]);
      if (reopen) {
        store = await reopen();
        expect(store.pending()).toEqual([k1, k3]);
        expect(store.pending()[1]?.notify).toBe(false);
      }
    });

    it('enqueue with outgoing adds the message to history as queued; history keeps one entry per id', async () => {
      let { store, reopen } = await start();
      const sent = message('s', '*');
      const { entries, outgoing } = await store.enqueue([outboxEntry('s', 'b'), outboxEntry('s', 'c')], {
        outgoing: sent,
      });
      expect(entries).toHaveLength(2);
      const [queued] = store.history();
      expect(store.history()).toEqual([{ ...sent, seq: expect.any(Number), status: 'queued' }]);
      expect(outgoing).toEqual(queued);
      // Enqueued again (a retry by the caller), the history entry is not added twice.
      expect((await store.enqueue([], { outgoing: sent })).outgoing).toBeUndefined();
      // The same message accepted for this node's users (a broadcast) is remembered without a second entry.
      expect(await store.accept(sent, 0)).toEqual(queued);
      expect(store.seen('s')).toBe(true);
      expect(store.history()).toEqual([queued]);
      if (reopen) {
        store = await reopen();
        expect(store.history()).toEqual([queued]);
        expect(store.pending()).toEqual(entries);
      }
    });

    it('forgets ids older than the de-duplication window, checking at most about once a minute', async () => {
      let { store, reopen } = await start({ dedupWindowMs: 10_000 });
      await store.accept(message('early'), 0);
      await store.accept(message('within'), 20_000);
      // A minute has not passed since the last check (at 0): nothing is forgotten yet.
      expect(store.seen('early')).toBe(true);
      const late = 10_000 + 61_000;
      await store.accept(message('late'), late);
      expect(store.seen('early')).toBe(false);
      expect(store.seen('within')).toBe(false);
      expect(store.seen('late')).toBe(true);
      await store.accept(message('later'), late + 5_000);
      expect(store.seen('late')).toBe(true);
      if (reopen) {
        store = await reopen();
        expect(store.seen('early')).toBe(false);
        expect(store.seen('late')).toBe(true);
      }
      // Forgotten, so a new copy is accepted again.
      expect(await store.accept(message('early'), late + 6_000)).toBeDefined();
      expect(store.seen('early')).toBe(true);
    });

    it('remembers at most maxSeenIds ids, forgetting the oldest accepted first', async () => {
      let { store, reopen } = await start({ maxSeenIds: 3 });
      await Promise.all(['a', 'b', 'c', 'd'].map((id) => store.accept(message(id), 0)));
      await store.accept(message('e'), 0);
      const remembered = () => ['a', 'b', 'c', 'd', 'e'].filter((id) => store.seen(id));
      expect(remembered()).toEqual(['c', 'd', 'e']);
      if (reopen) {
        store = await reopen();
        expect(remembered()).toEqual(['c', 'd', 'e']);
      }
    });

    it('writes resolve in call order', async () => {
      const { store } = await start();
      const order: string[] = [];
      const track = (name: string, write: Promise<unknown>) => write.then(() => order.push(name));
      await Promise.all([
        track('accept', store.accept(message('a'), 0)),
        track('duplicate', store.accept(message('a'), 0)),
        track('enqueue', store.enqueue([outboxEntry('b')])),
        track('settle', store.settle([123_456])),
        track('status', store.setStatus('a', 'delivered')),
        track('unknown status', store.setStatus('nobody', 'delivered')),
      ]);
      expect(order).toEqual(['accept', 'duplicate', 'enqueue', 'settle', 'status', 'unknown status']);
    });

    it('close flushes the writes called before it; later ones keep nothing and say so', async () => {
      let { store, reopen } = await start();
      const enqueued = store.enqueue([outboxEntry('x')], { outgoing: message('x', 'b') });
      const accepted = store.accept(message('y'), 0);
      await store.close();
      const [entry] = (await enqueued).entries;
      const entry2 = await accepted;
      expect(entry).toMatchObject({ node: 'b', message: message('x', 'b') });
      expect(entry2).toMatchObject({ id: 'y' });
      await expect(store.accept(message('z'), 0)).rejects.toThrow(StoreClosed);
      await expect(store.enqueue([outboxEntry('z')])).rejects.toThrow(StoreClosed);
      await expect(store.settle([entry?.key as number])).resolves.toBeUndefined();
      await expect(store.close()).resolves.toBeUndefined();
      if (reopen) {
        store = await reopen();
        expect(store.pending()).toEqual([entry]);
        expect(ids(store.history())).toEqual(['x', 'y']);
        expect(store.seen('y')).toBe(true);
        expect(store.seen('z')).toBe(false);
      }
    });
  });
}
