import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SendLimits } from '../../src/adapters/users/send-limits.js';
import { RateLimiter } from '../../src/domain/rate-limiter.js';
import { retryAfterSeconds } from '../../src/domain/rate-limits.js';
import { TokenBucket } from '../../src/domain/token-bucket.js';
import { FUZZ_SEED } from '../support/fuzz.js';

describe('TokenBucket', () => {
  it('admits a burst, then one event per 1/rate seconds, and says how long to wait', () => {
    const bucket = new TokenBucket({ ratePerSecond: 10, burst: 3 }, 0);
    expect([bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([0, 0, 0]);
    expect(bucket.take(0)).toBe(100);
    expect(bucket.take(50)).toBe(50);
    expect(bucket.take(100)).toBe(0);
    expect(bucket.take(100)).toBe(100);
    // Refills up to the burst, never past it.
    expect([0, 0, 0, 0].map(() => bucket.take(10_000))).toEqual([0, 0, 0, 100]);
  });

  it('a rate of 0 is no limit; a clock that goes back refills nothing', () => {
    const open = new TokenBucket({ ratePerSecond: 0, burst: 0 }, 0);
    expect(Array.from({ length: 1000 }, () => open.take(0)).every((w) => w === 0)).toBe(true);
    const bucket = new TokenBucket({ ratePerSecond: 1, burst: 1 }, 1_000);
    expect(bucket.take(1_000)).toBe(0);
    expect(bucket.take(0)).toBeGreaterThan(0);
  });

  it('never admits more than burst + rate × elapsed, whatever the times asked', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 1, max: 50 }),
        fc.array(fc.integer({ min: 0, max: 500 }), { maxLength: 300 }),
        (rate, burst, steps) => {
          const bucket = new TokenBucket({ ratePerSecond: rate, burst }, 0);
          let now = 0;
          let admitted = 0;
          for (const step of steps) {
            now += step;
            const wait = bucket.take(now);
            if (wait === 0) admitted++;
            else expect(wait).toBeGreaterThanOrEqual(1);
          }
          expect(admitted).toBeLessThanOrEqual(burst + (rate * now) / 1000 + 1e-9);
        },
      ),
      { seed: FUZZ_SEED, numRuns: 300 },
    );
  });
});

describe('RateLimiter', () => {
  it('keeps one bucket per key, and forgets the least recently seen past its bound', () => {
    const limiter = new RateLimiter({ ratePerSecond: 1, burst: 1 }, 2);
    expect(limiter.take('a', 0)).toBe(0);
    expect(limiter.take('a', 0)).toBeGreaterThan(0);
    expect(limiter.take('b', 0)).toBe(0);
    expect(limiter.take('c', 0)).toBe(0);
    expect(limiter.size).toBe(2);
    // 'a' was forgotten: it starts again with a full bucket; 'c' was not.
    expect(limiter.take('a', 0)).toBe(0);
    expect(limiter.take('c', 0)).toBeGreaterThan(0);
  });

  it('counts a key taken again as recently seen, whether or not it was the last one taken', () => {
    const limiter = new RateLimiter({ ratePerSecond: 1, burst: 1 }, 2);
    expect(limiter.take('a', 0)).toBe(0);
    expect(limiter.take('b', 0)).toBe(0);
    expect(limiter.take('a', 0)).toBeGreaterThan(0);
    expect(limiter.take('a', 0)).toBeGreaterThan(0);
    expect(limiter.take('c', 0)).toBe(0);
    // 'b' was the least recently seen, so it went; 'a' kept its empty bucket.
    expect(limiter.take('a', 0)).toBeGreaterThan(0);
    expect(limiter.take('b', 0)).toBe(0);
    // Taking 'b' pushed out 'c' (seen before the last 'a'), which starts full again.
    expect(limiter.take('c', 0)).toBe(0);
  });

  it('rounds a wait up to whole seconds for Retry-After', () => {
    expect([1, 999, 1000, 1001].map(retryAfterSeconds)).toEqual([1, 1, 1, 2]);
  });
});

describe('penalties and the cut-off', () => {
  it('a penalized key is refused for the penalty, then refills from empty', () => {
    const limiter = new RateLimiter({ ratePerSecond: 10, burst: 5 });
    expect(limiter.take('a', 0)).toBe(0);
    limiter.penalize('a', 0, 2_000);
    // Debt of 2 s of refill, then one token takes another 100 ms.
    expect(limiter.take('a', 1_000)).toBe(1_100);
    expect(limiter.take('a', 2_099)).toBeGreaterThan(0);
    expect(limiter.take('a', 2_100)).toBe(0);
    expect(limiter.take('b', 0)).toBe(0);
  });

  it('SendLimits cuts a connection off after more than `refusals` refusals in a window, not before', () => {
    let now = 0;
    const limits = new SendLimits(
      {
        connection: { ratePerSecond: 1, burst: 2 },
        account: { ratePerSecond: 0, burst: 0 },
        cutOff: { refusals: 3, windowSeconds: 10, penaltySeconds: 7 },
      },
      () => now,
    );
    const budget = limits.connectionBudget();
    expect([limits.admit(budget, undefined), limits.admit(budget, undefined)]).toEqual([
      undefined,
      undefined,
    ]);
    const refusals = [1, 2, 3].map(() => limits.admit(budget, undefined));
    expect(refusals.map((r) => r?.cutOff)).toEqual([false, false, false]);
    expect(refusals[0]?.error).toMatchObject({ code: 'rate_limited', retryAfter: 1 });
    // A new window forgets the old refusals.
    now = 10_000;
    expect([limits.admit(budget, undefined), limits.admit(budget, undefined)]).toEqual([
      undefined,
      undefined,
    ]);
    for (let i = 0; i < 3; i++) expect(limits.admit(budget, undefined)?.cutOff).toBe(false);
    const cut = limits.admit(budget, undefined);
    expect(cut).toMatchObject({ cutOff: true, error: { code: 'rate_limited', retryAfter: 7, closed: true } });
    expect(limits.penaltyMs).toBe(7_000);
  });

  const open = { ratePerSecond: 0, burst: 0 };
  const from = (remoteAddress: string, forwardedFor?: string) => ({
    socket: { remoteAddress },
    headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {},
  });

  it("SendLimits: one address's connections share its budget, another address has its own", () => {
    const limits = new SendLimits(
      {
        connection: { ratePerSecond: 1, burst: 3 },
        account: open,
        address: { ratePerSecond: 1, burst: 5 },
        cutOff: { refusals: 0, windowSeconds: 10, penaltySeconds: 0 },
      },
      () => 0,
    );
    const [one, two] = [limits.connectionBudget(from('10.0.0.1')), limits.connectionBudget(from('10.0.0.1'))];
    const admitted = (budget: ReturnType<typeof limits.connectionBudget>, n: number) =>
      Array.from({ length: n }, () => limits.admit(budget, undefined)).filter((r) => r === undefined).length;
    // Each connection is under its own burst of 3; together they spend the address's 5.
    expect(admitted(one, 3)).toBe(3);
    expect(admitted(two, 2)).toBe(2);
    const refused = limits.admit(two, undefined);
    expect(refused?.error).toMatchObject({
      code: 'rate_limited',
      retryAfter: 1,
      message: expect.stringContaining("this address's connections"),
    });
    expect(admitted(limits.connectionBudget(from('10.0.0.2')), 3)).toBe(3);
  });

  it('SendLimits charges the client a tunnel names only when told to trust it, as the HTTP limits do', () => {
    const settings = {
      connection: { ratePerSecond: 1, burst: 10 },
      account: open,
      address: { ratePerSecond: 1, burst: 1 },
      cutOff: { refusals: 0, windowSeconds: 10, penaltySeconds: 0 },
    };
    const tunnelled = new SendLimits(settings, () => 0, true);
    // Two clients behind the tunnel (loopback peer): one bucket each; a forged first entry is ignored.
    expect(
      tunnelled.admit(tunnelled.connectionBudget(from('127.0.0.1', '203.0.113.1')), undefined),
    ).toBeUndefined();
    expect(
      tunnelled.admit(tunnelled.connectionBudget(from('127.0.0.1', '198.51.100.9, 203.0.113.2')), undefined),
    ).toBeUndefined();
    expect(
      tunnelled.admit(tunnelled.connectionBudget(from('127.0.0.1', '203.0.113.2, 203.0.113.1')), undefined),
    ).toBeDefined();
    // A non-loopback peer is charged itself, whatever it says.
    expect(
      tunnelled.admit(tunnelled.connectionBudget(from('10.0.0.1', '203.0.113.3')), undefined),
    ).toBeUndefined();
    expect(
      tunnelled.admit(tunnelled.connectionBudget(from('10.0.0.1', '203.0.113.4')), undefined),
    ).toBeDefined();
    // Not behind a tunnel: the header is the client's own word, and the loopback peer is charged.
    const direct = new SendLimits(settings, () => 0);
    expect(
      direct.admit(direct.connectionBudget(from('127.0.0.1', '203.0.113.5')), undefined),
    ).toBeUndefined();
    expect(direct.admit(direct.connectionBudget(from('127.0.0.1', '203.0.113.6')), undefined)).toBeDefined();
  });

  it("SendLimits: an account's connections share its budget, whatever their addresses", () => {
    const limits = new SendLimits(
      {
        connection: { ratePerSecond: 1, burst: 10 },
        account: { ratePerSecond: 1, burst: 4 },
        address: open,
        cutOff: { refusals: 0, windowSeconds: 10, penaltySeconds: 0 },
      },
      () => 0,
    );
    const [one, two] = [limits.connectionBudget(from('10.0.0.1')), limits.connectionBudget(from('10.0.0.2'))];
    for (let i = 0; i < 2; i++) {
      expect(limits.admit(one, 'alice')).toBeUndefined();
      expect(limits.admit(two, 'alice')).toBeUndefined();
    }
    expect(limits.admit(two, 'alice')?.error.message).toContain('this account');
    expect(limits.admit(one, 'alice')?.error.message).toContain('this account');
    expect(limits.admit(two, 'bob')).toBeUndefined();
    expect(limits.admit(one, undefined)).toBeUndefined();
  });

  it("SendLimits: refusals for the address's budget count toward the connection's cut-off", () => {
    const limits = new SendLimits(
      {
        connection: { ratePerSecond: 1, burst: 100 },
        account: open,
        address: { ratePerSecond: 1, burst: 2 },
        cutOff: { refusals: 2, windowSeconds: 10, penaltySeconds: 5 },
      },
      () => 0,
    );
    const budget = limits.connectionBudget(from('10.0.0.1'));
    expect([limits.admit(budget, undefined), limits.admit(budget, undefined)]).toEqual([
      undefined,
      undefined,
    ]);
    expect([limits.admit(budget, undefined)?.cutOff, limits.admit(budget, undefined)?.cutOff]).toEqual([
      false,
      false,
    ]);
    expect(limits.admit(budget, undefined)).toMatchObject({
      cutOff: true,
      error: { closed: true, retryAfter: 5 },
    });
  });
});
