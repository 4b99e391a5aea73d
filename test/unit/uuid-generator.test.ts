import { describe, expect, it } from 'vitest';
import { UuidGenerator } from '../../src/adapters/system/uuid-generator.js';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('UuidGenerator: time-ordered message ids', () => {
  it('gives UUIDv7 strings whose first 48 bits are the clock in milliseconds', () => {
    const at = Date.UTC(2026, 11, 7, 3, 40);
    const id = new UuidGenerator(() => at).next();
    expect(id).toMatch(UUID_V7);
    expect(Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(at);
  });

  it('ids grow in call order, within one millisecond, across the counter running out, and when the clock goes back', () => {
    let now = Date.UTC(2026, 11, 7);
    const ids = new UuidGenerator(() => now);
    const made: string[] = [];
    for (let i = 0; i < 10_000; i++) {
      if (i === 6_000) now += 5;
      if (i === 8_000) now -= 60_000;
      made.push(ids.next());
    }
    for (const id of made) expect(id).toMatch(UUID_V7);
    expect([...made].sort()).toEqual(made);
    expect(new Set(made).size).toBe(made.length);
  });
});
