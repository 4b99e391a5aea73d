import { describe, expect, it } from 'vitest';
import type { Inbox } from '../../src/application/ports/inbox.js';
import type { HistoryEntry } from '../../src/domain/delivery.js';

export interface InboxSetup {
  readonly inbox: Inbox;
  /** Closes the inbox and opens it again on the same storage (durable adapters only). */
  readonly reopen?: () => Inbox;
}

const dm = (id: string, to = 'bob@b', seq = 1): HistoryEntry => ({
  id,
  from: 'a',
  to,
  msg: `text ${id}`,
  ts: '2026-01-01T00:00:00.000Z',
  fromUser: 'alice@a',
  seq,
});

/** What every `Inbox` must do (the port's contract), run against the fake and the SQLite adapter. */
export function describeInboxContract(
  name: string,
  setup: () => InboxSetup,
  options: { durable: boolean },
): void {
  describe(`Inbox contract: ${name}`, () => {
    it('keeps messages per user in the order added, once per id', () => {
      const { inbox } = setup();
      inbox.add('bob', dm('m1', 'bob@b', 1));
      inbox.add('bob', dm('m2', 'bob@b', 2));
      inbox.add('bob', dm('m1', 'bob@b', 1));
      inbox.add('carol', dm('m3', 'carol@b', 3));
      expect(inbox.count('bob')).toBe(2);
      expect(inbox.list('bob')).toEqual([dm('m1', 'bob@b', 1), dm('m2', 'bob@b', 2)]);
      expect(inbox.list('carol').map((e) => e.id)).toEqual(['m3']);
      expect(inbox.list('nobody')).toEqual([]);
      expect(inbox.count('nobody')).toBe(0);
    });

    it("removes what was handed over, and clears one user's inbox only", () => {
      const { inbox } = setup();
      for (const id of ['m1', 'm2', 'm3']) inbox.add('bob', dm(id));
      inbox.add('carol', dm('c1', 'carol@b'));
      inbox.remove('bob', ['m1', 'm3', 'unknown']);
      inbox.remove('carol', ['m2']);
      expect(inbox.list('bob').map((e) => e.id)).toEqual(['m2']);
      expect(inbox.clear('bob')).toBe(1);
      expect(inbox.count('bob')).toBe(0);
      expect(inbox.count('carol')).toBe(1);
      expect(inbox.clear('bob')).toBe(0);
    });

    it('refuses every call once closed', () => {
      const { inbox } = setup();
      inbox.close();
      expect(() => inbox.add('bob', dm('m1'))).toThrow();
      expect(() => inbox.count('bob')).toThrow();
    });

    if (options.durable) {
      it('keeps what it was given across a reopen', () => {
        const { inbox, reopen } = setup();
        inbox.add('bob', dm('m1', 'bob@b', 7));
        inbox.add('bob', dm('m2', 'bob@b', 8));
        inbox.remove('bob', ['m1']);
        const again = (reopen as () => Inbox)();
        expect(again.list('bob')).toEqual([dm('m2', 'bob@b', 8)]);
        again.close();
      });
    }
  });
}
