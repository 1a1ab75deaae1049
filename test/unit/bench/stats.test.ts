import { describe, expect, it } from 'vitest';
import { longestStall, percentile, rateBetween, slope } from '../../../bench/e2e/stats.ts';

describe('bench statistics', () => {
  it('percentile is nearest-rank, and an unseen probe (Infinity) outranks every seen one', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile([5, 1, 3], 50)).toBe(3);
    expect(percentile([], 99)).toBeNull();
    expect(percentile([...values.slice(0, 98), Infinity, Infinity], 99)).toBe(Infinity);
  });

  it('slope is the least-squares trend, 0 for a flat or single-point series', () => {
    expect(
      slope([
        { x: 0, y: 1 },
        { x: 1, y: 3 },
        { x: 2, y: 5 },
      ]),
    ).toBeCloseTo(2, 9);
    expect(
      slope([
        { x: 0, y: 7 },
        { x: 5, y: 7 },
      ]),
    ).toBe(0);
    expect(slope([{ x: 1, y: 1 }])).toBe(0);
  });

  it('rateBetween uses the first and last samples inside the interval', () => {
    const samples = [0, 10, 20, 30, 40].map((t) => ({ t, value: t * 100 + (t > 10 ? 500 : 0) }));
    expect(rateBetween(samples, 15, 40)).toBe(100);
    expect(rateBetween(samples, 0, 10)).toBe(100);
    expect(rateBetween(samples, 41, 50)).toBe(0);
  });

  it('longestStall measures how long a counter stood still while behind, not while caught up', () => {
    const at = (t: number, value: number, target: number) => ({ t, value, target });
    // Stuck at 10 from t=2 to t=8 while 50 waited; then caught up and idle (not a stall).
    const series = [
      at(0, 0, 10),
      at(2, 10, 30),
      at(4, 10, 40),
      at(8, 10, 50),
      at(10, 60, 60),
      at(30, 60, 60),
    ];
    expect(longestStall(series)).toBe(6);
    expect(longestStall([at(0, 5, 5), at(100, 5, 5)])).toBe(0);
    expect(longestStall([])).toBe(0);
  });
});
