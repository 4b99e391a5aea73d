import { describe, expect, it } from 'vitest';
import { RoundBudget } from '../../src/application/membership/round-budget.js';

describe('RoundBudget', () => {
  it('grants up to its budget per round, and nothing carries over', () => {
    const budget = new RoundBudget(5);
    expect(budget.take(3)).toBe(3);
    expect(budget.take(3)).toBe(2);
    expect(budget.take(1)).toBe(0);
    budget.refill();
    expect(budget.take(0)).toBe(0);
    expect(budget.take(10)).toBe(5);
    budget.refill();
    budget.refill();
    expect(budget.take(10)).toBe(5);
  });
});
