import { describe, expect, it } from 'vitest';
import { hoursIn, LakeLayout } from '../../../../batch-layer/lake/lake-layout.ts';

const H = Date.UTC(2026, 0, 31, 7);

describe('LakeLayout', () => {
  it('names raw objects by event hour, partition and offset range', () => {
    const layout = new LakeLayout('t1/');
    expect(layout.rawObjectKey(H, 3, 100n, 199n)).toBe('t1/raw/dt=2026-01-31/hour=07/p3-100-199.parquet');
    expect(layout.rejectedObjectKey(H, 0, 5n, 5n)).toBe('t1/rejected/dt=2026-01-31/hour=07/p0-5-5.parquet');
    expect(layout.aggMinuteKey(H)).toBe('t1/agg/minute/dt=2026-01-31/hour=07/part.parquet');
    expect(layout.aggTopKey(H)).toBe('t1/agg/top/dt=2026-01-31/hour=07/part.parquet');
  });

  it('parses what it names, and nothing else', () => {
    const layout = new LakeLayout('t1/');
    expect(layout.parse(layout.rawObjectKey(H, 11, 0n, 9007199254740993n))).toEqual({
      kind: 'raw',
      hour: H,
      partition: 11,
      firstOffset: 0n,
      lastOffset: 9007199254740993n,
    });
    expect(layout.parse('t2/raw/dt=2026-01-31/hour=07/p3-1-2.parquet')).toBeUndefined();
    expect(layout.parse('t1/agg/minute/dt=2026-01-31/hour=07/part.parquet')).toBeUndefined();
  });

  it('rejects a root without a trailing slash and a time that is not an hour start', () => {
    expect(() => new LakeLayout('x')).toThrow(/must end with/);
    expect(() => new LakeLayout().rawHourPrefix(H + 1)).toThrow(/not the start of an hour/);
  });

  it('lists hours of a range', () => {
    expect(hoursIn(H + 5, H + 2 * 3_600_000 + 1)).toEqual([H, H + 3_600_000, H + 7_200_000]);
    expect(hoursIn(H, H)).toEqual([]);
  });
});
