import { types } from 'cassandra-driver';
import { describe, expect, it } from 'vitest';
import { CqlValues } from '../../../../shared/aggregate-store/cql-values.ts';

describe('CqlValues', () => {
  const v = new CqlValues();

  it("encodes timestamps and bigints as a Long's high and low words, across the 32-bit boundary", () => {
    for (const n of [0, 1, 4095, 4096, 2 ** 31, 2 ** 32 + 5, Date.UTC(2026, 10, 25, 1, 2), 2 ** 53 - 1]) {
      const l = types.Long.fromNumber(n);
      const long = Buffer.alloc(8);
      long.writeInt32BE(l.getHighBits(), 0);
      long.writeInt32BE(l.getLowBits(), 4);
      expect(v.timestamp(n)).toEqual(long);
      expect(v.bigint(n)).toEqual(long);
    }
  });

  it('encodes ints as 4 bytes big-endian and texts as UTF-8, reusing the buffers of repeated values', () => {
    expect([...v.int(255)]).toEqual([0, 0, 0, 255]);
    expect(v.text('country=KR').toString('utf8')).toBe('country=KR');
    expect(v.text('é').length).toBe(2);
    expect(v.text('all')).toBe(v.text('all'));
    expect(v.timestamp(60_000)).toBe(v.timestamp(60_000));
    expect(v.bigint(7)).toBe(v.bigint(7));
  });
});
