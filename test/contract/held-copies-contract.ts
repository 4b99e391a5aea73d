import { describe, expect, it } from 'vitest';
import type { HeldCopies } from '../../src/application/ports/files/held-copies.js';

export interface HeldCopiesSetup {
  readonly held: HeldCopies;
  /** Closes the store and opens it again on the same storage (durable adapters only). */
  readonly reopen?: () => HeldCopies;
}

const id = (digit: string) => digit.repeat(64);

/** What every `HeldCopies` must do (the port's contract), run against the fake and the SQLite adapter. */
export function describeHeldCopiesContract(name: string, setup: () => HeldCopiesSetup): void {
  describe(`HeldCopies contract: ${name}`, () => {
    it('lists ids oldest first; add and remove are idempotent, and an id keeps its first place', () => {
      const { held } = setup();
      expect(held.list()).toEqual([]);
      held.add(id('1'));
      held.add(id('2'));
      held.add(id('1'));
      held.add(id('3'));
      expect(held.list()).toEqual([id('1'), id('2'), id('3')]);
      held.remove(id('2'));
      held.remove(id('2'));
      held.remove(id('9'));
      expect(held.list()).toEqual([id('1'), id('3')]);
      held.add(id('2'));
      expect(held.list()).toEqual([id('1'), id('3'), id('2')]);
    });

    it('touch moves a listed id last (least recently used first) and ignores one not listed', () => {
      const { held } = setup();
      held.add(id('1'));
      held.add(id('2'));
      held.add(id('3'));
      held.touch(id('1'));
      held.touch(id('9'));
      expect(held.list()).toEqual([id('2'), id('3'), id('1')]);
      held.add(id('2'));
      expect(held.list()).toEqual([id('2'), id('3'), id('1')]);
    });

    it('refuses every call once closed with StoreClosed (node_stopping)', () => {
      const { held } = setup();
      held.close();
      expect(() => held.list()).toThrow(expect.objectContaining({ code: 'node_stopping' }));
      expect(() => held.add(id('1'))).toThrow(expect.objectContaining({ code: 'node_stopping' }));
      expect(() => held.touch(id('1'))).toThrow(expect.objectContaining({ code: 'node_stopping' }));
      expect(() => held.remove(id('1'))).toThrow(expect.objectContaining({ code: 'node_stopping' }));
    });

    it('keeps what it holds across a reopen (durable adapters)', (context) => {
      const { held, reopen } = setup();
      if (!reopen) return context.skip('only a durable adapter keeps the list across a restart');
      held.add(id('a'));
      held.add(id('b'));
      held.remove(id('a'));
      held.add(id('c'));
      held.touch(id('b'));
      expect(reopen().list()).toEqual([id('c'), id('b')]);
    });
  });
}
