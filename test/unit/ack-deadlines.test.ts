import { describe, expect, it } from 'vitest';
import { AckDeadlines } from '../../src/application/messaging/ack-deadlines.js';
import { FakeClock } from '../fakes/fake-clock.js';

describe('AckDeadlines', () => {
  it('ends each wait waitMs after it started, in start order', async () => {
    const clock = new FakeClock();
    const deadlines = new AckDeadlines(clock, 100);
    const ended: string[] = [];
    deadlines.start(() => ended.push('a'));
    await clock.advance(40);
    deadlines.start(() => ended.push('b'));
    await clock.advance(59);
    expect(ended).toEqual([]);
    await clock.advance(1);
    expect(ended).toEqual(['a']);
    await clock.advance(39);
    expect(ended).toEqual(['a']);
    await clock.advance(1);
    expect(ended).toEqual(['a', 'b']);
    expect(deadlines.size).toBe(0);
  });

  it('a stopped wait never ends and is let go at once', async () => {
    const clock = new FakeClock();
    const deadlines = new AckDeadlines(clock, 100);
    const ended: string[] = [];
    const stopA = deadlines.start(() => ended.push('a'));
    deadlines.start(() => ended.push('b'));
    stopA();
    expect(deadlines.size).toBe(1);
    await clock.advance(100);
    expect(ended).toEqual(['b']);
  });

  it('keeps one timer however many waits are open', async () => {
    const clock = new FakeClock();
    let sleeps = 0;
    const counting = {
      now: () => clock.now(),
      sleep: (ms: number) => {
        sleeps++;
        return clock.sleep(ms);
      },
    };
    const deadlines = new AckDeadlines(counting, 100);
    const ended: number[] = [];
    for (let i = 0; i < 1000; i++) deadlines.start(() => ended.push(i));
    expect(sleeps).toBe(1);
    await clock.advance(100);
    expect(ended).toHaveLength(1000);
    expect(ended.slice(0, 3)).toEqual([0, 1, 2]);
  });

  it('starts a new timer for waits opened after the last one ended', async () => {
    const clock = new FakeClock();
    const deadlines = new AckDeadlines(clock, 50);
    const ended: string[] = [];
    deadlines.start(() => ended.push('a'));
    await clock.advance(50);
    deadlines.start(() => ended.push('b'));
    await clock.advance(50);
    expect(ended).toEqual(['a', 'b']);
  });

  it('a wall clock set back does not hold a wait longer than one wait', async () => {
    let now = 1_000_000;
    const asked: number[] = [];
    const wakes: (() => void)[] = [];
    const clock = {
      now: () => now,
      sleep: (ms: number) => {
        asked.push(ms);
        return new Promise<void>((wake) => wakes.push(wake));
      },
    };
    const deadlines = new AckDeadlines(clock, 100);
    const ended: string[] = [];
    deadlines.start(() => ended.push('a'));
    expect(asked).toEqual([100]);
    now -= 3_600_000; // set back an hour while the wait runs
    wakes.shift()?.();
    await new Promise((resolve) => setImmediate(resolve));
    expect(ended).toEqual(['a']);
    deadlines.start(() => ended.push('b'));
    expect(Math.max(...asked)).toBe(100);
  });
});
