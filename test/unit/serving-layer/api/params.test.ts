import { describe, expect, it } from 'vitest';
import {
  parseAdId,
  parseDateQuery,
  parsePopularQuery,
  parseRangeQuery,
} from '../../../../serving-layer/api/params.ts';
import type { AggregationDefinition } from '../../../../shared/aggregation/definition.ts';
import { AdclickError } from '../../../../shared/errors/errors.ts';

const def: AggregationDefinition = { dimensions: ['country'], windowsMinutes: [1, 5, 15, 60], topN: 100 };
const q = (o: Record<string, string | string[]>) =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Array.isArray(v) ? v : [v]]));
const parameterOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AdclickError);
    expect((e as AdclickError).code).toBe('INVALID_INPUT');
    return (e as AdclickError).details.parameter as string;
  }
  throw new Error('expected an error');
};

describe('parseRangeQuery', () => {
  it('rounds down to the minute and accepts ISO and epoch ms', () => {
    const r = parseRangeQuery(
      q({ from: '2026-01-05T10:00:59Z', to: String(Date.UTC(2026, 0, 5, 11, 0, 30)) }),
      def,
    );
    expect(r).toEqual({
      from: Date.UTC(2026, 0, 5, 10),
      to: Date.UTC(2026, 0, 5, 11),
      slice: 'all',
      filter: null,
    });
  });
  it('normalises the filter', () => {
    expect(parseRangeQuery(q({ from: '0', to: '60000', filter: 'country:us' }), def).filter).toBe(
      'country:US',
    );
  });
  it.each([
    [{ to: '0' }, 'from'],
    [{ from: '0' }, 'to'],
    [{ from: 'yesterday', to: '0' }, 'from'],
    [{ from: '120000', to: '60000' }, 'to'],
    [{ from: '0', to: String(32 * 86_400_000) }, 'to'],
    [{ from: '0', to: '60000', filter: 'city:x' }, 'filter'],
    [{ from: '0', to: '60000', filter: 'country:USA' }, 'filter'],
    [{ from: '0', to: '60000', fliter: 'country:US' }, 'fliter'],
    [{ from: ['0', '1'], to: '60000' }, 'from'],
  ])('%j → 400 naming %s', (query, parameter) => {
    expect(parameterOf(() => parseRangeQuery(q(query), def))).toBe(parameter);
  });
});

describe('parsePopularQuery', () => {
  const now = Date.UTC(2026, 0, 5, 10, 7, 12);
  it('defaults: count 10, the smallest window, end of the current minute', () => {
    expect(parsePopularQuery({}, def, now)).toEqual({
      count: 10,
      windowMinutes: 1,
      end: Date.UTC(2026, 0, 5, 10, 8),
      slice: 'all',
      filter: null,
    });
  });
  it('accepts every configured window and count up to topN', () => {
    const p = parsePopularQuery(q({ count: '100', window: '60', end: '2026-01-05T10:00:30Z' }), def, now);
    expect([p.count, p.windowMinutes, p.end]).toEqual([100, 60, Date.UTC(2026, 0, 5, 10)]);
  });
  it.each([
    [{ count: '0' }, 'count'],
    [{ count: '101' }, 'count'],
    [{ count: '1.5' }, 'count'],
    [{ count: 'ten' }, 'count'],
    [{ window: '2' }, 'window'],
    [{ window: '5m' }, 'window'],
    [{ end: 'soon' }, 'end'],
    [{ top: '3' }, 'top'],
  ])('%j → 400 naming %s', (query, parameter) => {
    expect(parameterOf(() => parsePopularQuery(q(query), def, now))).toBe(parameter);
  });
  it('lists the allowed windows', () => {
    expect(() => parsePopularQuery(q({ window: '2' }), def, now)).toThrow('1, 5, 15, 60');
  });
});

describe('parseAdId and parseDateQuery', () => {
  it('accepts the A1 alphabet and refuses the rest', () => {
    expect(parseAdId('ad-1_x.y:z')).toBe('ad-1_x.y:z');
    expect(parameterOf(() => parseAdId('ad 1'))).toBe('ad_id');
    expect(parameterOf(() => parseAdId('a'.repeat(65)))).toBe('ad_id');
  });
  it('accepts real dates only', () => {
    expect(parseDateQuery(q({ date: '2026-02-28' })).dayStart).toBe(Date.UTC(2026, 1, 28));
    expect(parameterOf(() => parseDateQuery(q({ date: '2026-02-30' })))).toBe('date');
    expect(parameterOf(() => parseDateQuery({}))).toBe('date');
  });
});
