import { describe, expect, it } from 'vitest';
import { MemoryInbox } from '../../src/adapters/storage/memory-inbox.js';
import { MemoryMessageStore } from '../../src/adapters/storage/memory-message-store.js';
import { MAX_HISTORY_BYTES, ReadHistory } from '../../src/application/messaging/read-history.js';
import type { ChatMessage } from '../../src/domain/message.js';

const TS = '2026-01-01T00:00:00.000Z';
const node = (id: string): ChatMessage => ({ id, from: 'a', to: 'a', msg: id, ts: TS });
const direct = (id: string, to: string): ChatMessage => ({
  id,
  from: 'a',
  to,
  fromUser: 'carol@a',
  msg: id,
  ts: TS,
});
const bob = { name: 'bob', address: 'bob@a' };

/** A store whose history is n1..n600 with a direct message to bob after every third node message. */
async function mixedHistory() {
  const store = new MemoryMessageStore({ historySize: 10_000, dedupWindowMs: 60_000 });
  for (let i = 1; i <= 600; i++) {
    await store.accept(node(`n${i}`), 0);
    if (i % 3 === 0) await store.accept(direct(`d${i}`, 'bob@a'), 0);
  }
  return store;
}

/** Every page from connect back to the start, oldest first, as `viewer` reads them. */
function pageBack(history: ReadHistory, viewer?: typeof bob): { ids: string[]; pages: number[] } {
  const first = history.execute({ viewer });
  const ids = first.messages.map((m) => m.id);
  const pages = [first.messages.length];
  let { before, more } = first;
  while (more && before !== undefined) {
    const page = history.older({ before, viewer });
    pages.push(page.messages.length);
    ids.unshift(...page.messages.map((m) => m.id));
    ({ before, more } = page);
  }
  return { ids, pages };
}

describe('ReadHistory pages', () => {
  it("an anonymous viewer's pages skip direct messages and still fill up, back to the first, once each", async () => {
    const store = await mixedHistory();
    const history = new ReadHistory({ store }, { page: 250 });
    const { ids, pages } = pageBack(history);
    expect(pages).toEqual([250, 250, 100]);
    expect(ids).toEqual(Array.from({ length: 600 }, (_, i) => `n${i + 1}`));
  });

  it("a logged-in viewer's pages hold its direct messages in their place; waiting ones come first, once", async () => {
    const store = await mixedHistory();
    const inbox = new MemoryInbox();
    inbox.add('bob', { ...direct('waiting', 'bob@a'), seq: 0 });
    const history = new ReadHistory({ store, inbox }, { page: 100 });
    const first = history.execute({ viewer: bob });
    expect(first.messages[0]?.id).toBe('waiting');
    expect(first.messages).toHaveLength(101);
    expect(first.before).toBe(first.messages[1]?.id);
    expect(inbox.list('bob')).toEqual([]);
    const { ids } = pageBack(history, bob);
    expect(ids).toEqual(store.history().map((e) => e.id));
    expect(new Set(ids).size).toBe(800);
  });

  it('more is false when nothing older is kept; a limit is capped; an unknown id gives an empty last page', async () => {
    const store = new MemoryMessageStore({ historySize: 100, dedupWindowMs: 60_000 });
    for (let i = 1; i <= 5; i++) await store.accept(node(`n${i}`), 0);
    const history = new ReadHistory({ store }, { page: 5, maxPage: 2 });
    expect(history.page).toBe(2);
    expect(history.execute()).toMatchObject({ more: true, before: 'n4' });
    expect(history.older({ before: 'n4', limit: 99 })).toMatchObject({ more: true, before: 'n2' });
    expect(history.older({ before: 'n2' })).toMatchObject({ more: false, before: 'n1' });
    expect(history.older({ before: 'gone' })).toEqual({ messages: [], more: false });
    // With a cursor: only what changed after it, and more says older messages are kept.
    const seq = store.history().find((e) => e.id === 'n4')?.seq as number;
    expect(history.execute({ since: seq })).toMatchObject({
      messages: [{ id: 'n5' }],
      more: true,
      before: 'n5',
    });
  });

  it('a page, on connect or older, is at most 4 MiB of JSON: the newest that fit, the rest on later pages', async () => {
    expect(MAX_HISTORY_BYTES).toBe(4 * 1024 * 1024);
    // 300 messages of 64 KiB: 100 of them (a default page) are 6.4 MiB, 300 (within maxPage) 19 MiB.
    const big = 'x'.repeat(64 * 1024);
    const store = new MemoryMessageStore({ historySize: 1_000, dedupWindowMs: 60_000 });
    for (let i = 1; i <= 300; i++) await store.accept({ ...node(`n${i}`), msg: `${i} ${big}` }, 0);
    const history = new ReadHistory({ store });
    const bytes = (messages: readonly unknown[]) =>
      messages.reduce<number>((sum, m) => sum + Buffer.byteLength(JSON.stringify(m)), 0);
    const first = history.execute();
    expect(bytes(first.messages)).toBeLessThanOrEqual(MAX_HISTORY_BYTES);
    // As many as fit, not fewer: one more would pass the cap.
    expect(first.messages.length).toBe(Math.floor(MAX_HISTORY_BYTES / bytes([first.messages[0]])));
    expect(first.messages.at(-1)?.id).toBe('n300');
    expect(first).toMatchObject({ more: true, before: first.messages[0]?.id });
    const older = history.older({ before: first.before as string, limit: 300 });
    expect(bytes(older.messages)).toBeLessThanOrEqual(MAX_HISTORY_BYTES);
    expect(older.messages.length).toBe(first.messages.length);
    expect(older.more).toBe(true);
    // Paging back still hands out every message, once.
    const { ids } = pageBack(history);
    expect(ids).toEqual(Array.from({ length: 300 }, (_, i) => `n${i + 1}`));
  });
});
