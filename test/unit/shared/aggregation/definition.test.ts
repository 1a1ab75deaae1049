import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import {
  type AggregationDefinition,
  ALL_SLICE,
  filterOfSlice,
  sliceOfFilter,
  slicesOf,
  slicesSql,
} from '../../../../shared/aggregation/definition.ts';
import { minuteOf, minutesIn, parseTime } from '../../../../shared/aggregation/time.ts';
import { compareAdCounts, topN } from '../../../../shared/aggregation/top-n.ts';
import { mulberry32 } from '../../../../shared/generator/generator.ts';

const definition: AggregationDefinition = {
  dimensions: ['country'],
  windowsMinutes: [1, 5, 15, 60],
  topN: 100,
};
const event = { clickId: 'c', adId: 'ad-1', timestampMs: 0, userId: 'u', ip: '::1', country: 'KR' };

describe('slices', () => {
  it('puts a click in "all" and in its dimension value', () => {
    expect(slicesOf(event, definition)).toEqual([ALL_SLICE, 'country=KR']);
  });

  it('gives the same slices in DuckDB SQL as in JavaScript', async () => {
    const db = await DuckDBInstance.create(':memory:');
    const connection = await db.connect();
    const result = await connection.runAndReadAll(
      `SELECT UNNEST(${slicesSql(definition)}) AS slice FROM (SELECT 'ad-1' AS ad_id, 'KR' AS country)`,
    );
    expect(result.getRowObjects().map((r) => r.slice)).toEqual(slicesOf(event, definition));
    connection.closeSync();
  });

  it('maps API filters to slices and back', () => {
    expect(sliceOfFilter(undefined, definition)).toBe(ALL_SLICE);
    expect(sliceOfFilter('country:us', definition)).toBe('country=US');
    expect(filterOfSlice('country=US')).toBe('country:US');
    expect(filterOfSlice(ALL_SLICE)).toBeNull();
  });

  it.each(['country', 'country:', 'city:Seoul', 'country:USA', ':US'])(
    'rejects filter %j naming the parameter',
    (f) => {
      expect(() => sliceOfFilter(f, definition)).toThrow(/filter/);
    },
  );
});

describe('topN', () => {
  it('equals a full sort for random inputs with many ties', () => {
    const random = mulberry32(3);
    for (let round = 0; round < 50; round++) {
      const entries = Array.from({ length: 1 + Math.floor(random() * 500) }, (_, i) => ({
        adId: `ad-${Math.floor(random() * 1000)}-${i}`,
        count: Math.floor(random() * 10),
      }));
      const n = 1 + Math.floor(random() * 120);
      const expected = entries
        .filter((e) => e.count > 0)
        .sort(compareAdCounts)
        .slice(0, n);
      expect(topN(entries, n)).toEqual(expected);
    }
  });

  it('breaks ties by ad_id ascending', () => {
    expect(
      topN(
        [
          { adId: 'b', count: 2 },
          { adId: 'a', count: 2 },
          { adId: 'c', count: 3 },
        ],
        2,
      ),
    ).toEqual([
      { adId: 'c', count: 3 },
      { adId: 'a', count: 2 },
    ]);
  });
});

describe('time', () => {
  it('parses epoch ms, ISO-8601 and bare dates', () => {
    expect(parseTime('1767225600000', 'from')).toBe(1767225600000);
    expect(parseTime('2026-01-01T00:00:00Z', 'from')).toBe(Date.UTC(2026, 0, 1));
    expect(parseTime('2026-01-01', 'from')).toBe(Date.UTC(2026, 0, 1));
    expect(parseTime('2026-01-01T09:00:00+09:00', 'from')).toBe(Date.UTC(2026, 0, 1));
  });

  it.each(['', 'yesterday', '2026-13-01T00:00:00Z', '1.5', '2026-01-01T00:00:00'])(
    'rejects %j naming the parameter',
    (v) => {
      expect(() => parseTime(v, 'to')).toThrow(/^to /);
    },
  );

  it('lists the minutes of a half-open range', () => {
    const t = Date.UTC(2026, 0, 1);
    expect(minutesIn(t, t + 3 * 60_000)).toEqual([t, t + 60_000, t + 120_000]);
    expect(minuteOf(t + 59_999)).toBe(t);
  });
});
