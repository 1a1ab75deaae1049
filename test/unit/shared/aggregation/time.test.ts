import { describe, expect, it } from 'vitest';
import { parseTime } from '../../../../shared/aggregation/time.ts';

describe('parseTime', () => {
  it('reads epoch milliseconds, ISO-8601 with zone and a bare date as UTC midnight', () => {
    expect(parseTime('1767225600000', 'from')).toBe(Date.UTC(2026, 0, 1));
    expect(parseTime('2026-01-01T09:00:00+09:00', 'from')).toBe(Date.UTC(2026, 0, 1));
    expect(parseTime('2026-01-01', 'from')).toBe(Date.UTC(2026, 0, 1));
    expect(parseTime('2024-02-29T00:00:00Z', 'from')).toBe(Date.UTC(2024, 1, 29));
  });

  it.each(['2026-02-30', '2026-02-29T00:00:00Z', '2026-04-31', '2026-13-01'])(
    'refuses %s, a date that does not exist, naming the parameter',
    (value) => {
      expect(() => parseTime(value, '--from')).toThrow(/--from/);
    },
  );

  it.each(['yesterday', '2026-01-01T10:00', '', '12.5'])('refuses %j naming the parameter', (value) => {
    expect(() => parseTime(value, 'to')).toThrow(/^to must be epoch milliseconds or ISO-8601/);
  });
});
