import { describe, expect, it } from 'vitest';
import {
  LINK_ATTEMPT_DEFAULTS,
  LinkAttempts,
  MAX_REMEMBERED_PEERS,
} from '../../src/adapters/peers/link-attempts.js';

const PEER = 'http://127.0.0.1:9001';
const { baseDelayMs, maxDelayMs, maxFailures, linklessMs, healthyMs } = LINK_ATTEMPT_DEFAULTS;

/** A clock that moves only when the test says so (the policy reads it synchronously). */
class ManualClock {
  at = Date.UTC(2026, 0, 1);
  now = () => this.at;
  advance(ms: number): void {
    this.at += ms;
  }
}

/** Attempts on a manual clock; `random` fixed so the jitter is at one end of its range. */
function attempts(random = 1) {
  const clock = new ManualClock();
  return { clock, policy: new LinkAttempts(clock.now, () => random) };
}

/** How long after now the next attempt may start, to the millisecond (the clock is left where it was). */
function waitAfter(policy: LinkAttempts, clock: ManualClock): number {
  const start = clock.at;
  let low = 0;
  let high = linklessMs + 1;
  while (low < high) {
    const mid = Math.floor((low + high) / 2);
    clock.at = start + mid;
    if (policy.mayOpen(PEER)) high = mid;
    else low = mid + 1;
  }
  clock.at = start;
  return low;
}

describe('LinkAttempts: when a link may be opened again', () => {
  it('the first attempt may start at once', () => {
    const { policy } = attempts();
    expect(policy.mayOpen(PEER)).toBe(true);
  });

  it('backs off exponentially, each delay in the upper half of its range, up to the maximum', () => {
    const top = attempts(1);
    const bottom = attempts(0);
    const ceilings: number[] = [];
    for (let failure = 1; failure < maxFailures * 3; failure++) {
      top.policy.failed(PEER, 'unreachable');
      bottom.policy.failed(PEER, 'unreachable');
      const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (failure - 1));
      ceilings.push(ceiling);
      expect(waitAfter(top.policy, top.clock)).toBe(ceiling);
      expect(waitAfter(bottom.policy, bottom.clock)).toBe(ceiling / 2);
    }
    expect(ceilings.at(-1)).toBe(maxDelayMs);
  });

  it('a peer that refuses the upgrade is left on HTTP for the link-less time', () => {
    const { clock, policy } = attempts();
    policy.failed(PEER, 'refused');
    expect(waitAfter(policy, clock)).toBe(linklessMs);
  });

  it('repeated failures of a reachable peer make it link-less; an unreachable one only backs off', () => {
    const broken = attempts();
    for (let i = 1; i < maxFailures; i++) broken.policy.failed(PEER, 'failed');
    expect(waitAfter(broken.policy, broken.clock)).toBeLessThan(linklessMs);
    broken.policy.failed(PEER, 'failed');
    expect(waitAfter(broken.policy, broken.clock)).toBe(linklessMs);
    const down = attempts();
    for (let i = 0; i < maxFailures * 4; i++) down.policy.failed(PEER, 'unreachable');
    expect(waitAfter(down.policy, down.clock)).toBe(maxDelayMs);
  });

  it('a link that drops soon after opening counts as a failure; a healthy one starts the count over', () => {
    const early = attempts();
    early.policy.opened(PEER);
    early.clock.advance(healthyMs - 1);
    early.policy.dropped(PEER);
    expect(waitAfter(early.policy, early.clock)).toBe(baseDelayMs);

    const healthy = attempts();
    for (let i = 0; i < 3; i++) healthy.policy.failed(PEER, 'failed');
    healthy.clock.advance(maxDelayMs);
    healthy.policy.opened(PEER);
    healthy.clock.advance(healthyMs);
    healthy.policy.dropped(PEER);
    expect(healthy.policy.mayOpen(PEER)).toBe(true);
    healthy.policy.failed(PEER, 'failed');
    expect(waitAfter(healthy.policy, healthy.clock)).toBe(baseDelayMs);
  });

  it('remembers a bounded number of peers, forgetting the oldest first', () => {
    const { policy } = attempts();
    policy.failed('http://first.test', 'refused');
    for (let i = 0; i < MAX_REMEMBERED_PEERS; i++) policy.failed(`http://peer-${i}.test`, 'refused');
    expect(policy.mayOpen('http://first.test')).toBe(true);
    expect(policy.mayOpen(`http://peer-${MAX_REMEMBERED_PEERS - 1}.test`)).toBe(false);
  });
});
