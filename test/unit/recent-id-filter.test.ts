import { describe, expect, it } from 'vitest';
import { RecentIdFilter } from '../../src/adapters/storage/recent-id-filter.js';

const id = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

describe('RecentIdFilter', () => {
  it('never reports absent any of the last `capacity` ids added, over many generations', () => {
    const capacity = 100;
    const filter = new RecentIdFilter(capacity);
    for (let n = 0; n < 2_000; n++) {
      filter.add(id(n));
      for (let back = 0; back < capacity && back <= n; back++) {
        if (!filter.mightHave(id(n - back))) throw new Error(`id ${n - back} lost after ${n} additions`);
      }
    }
  });

  it('reports most ids it never saw as absent, and forgets ids two generations old', () => {
    const filter = new RecentIdFilter(1_000);
    for (let n = 0; n < 1_000; n++) filter.add(id(n));
    const unknown = Array.from({ length: 10_000 }, (_, n) => id(1_000_000 + n));
    const falsePositives = unknown.filter((u) => filter.mightHave(u)).length;
    expect(falsePositives).toBeLessThan(300);
    for (let n = 1_000; n < 3_001; n++) filter.add(id(n));
    const remembered = Array.from({ length: 1_000 }, (_, n) => id(n)).filter((u) => filter.mightHave(u));
    expect(remembered.length).toBeLessThan(100);
  });

  it('works with a capacity of zero (a table that keeps nothing): the newest id still looks present', () => {
    const filter = new RecentIdFilter(0);
    filter.add('a');
    expect(filter.mightHave('a')).toBe(true);
    filter.add('b');
    expect(filter.mightHave('b')).toBe(true);
  });
});
