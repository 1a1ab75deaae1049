import { describe, expect, it } from 'vitest';
import { topN, topNOfIndexed } from '../../../../shared/aggregation/top-n.ts';
import { AdIds } from '../../../../speed-layer/aggregate/ad-ids.ts';
import { FrozenCells } from '../../../../speed-layer/aggregate/frozen-cells.ts';
import { AdSums } from '../../../../speed-layer/reduce/ad-sums.ts';

/** A pseudo-random minute: up to `n` ads of a small catalogue, so minutes share ads. */
function minute(n: number, seed: number): Map<string, number> {
  const counts = new Map<string, number>();
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 48_271) % 2_147_483_647;
    const adId = `ad-${x % 5_000}`;
    counts.set(adId, (counts.get(adId) ?? 0) + 1 + (x % 7));
  }
  return counts;
}

/** The independent sum: plain Maps, zero sums left out. */
function recount(parts: Array<[Map<string, number>, 1 | -1]>): Map<string, number> {
  const totals = new Map<string, number>();
  for (const [part, sign] of parts)
    for (const [ad, c] of part) totals.set(ad, (totals.get(ad) ?? 0) + sign * c);
  return new Map([...totals].filter(([, c]) => c !== 0));
}

describe('AdSums', () => {
  it('adds and subtracts minutes, frozen or not, to the same sums as a recount', () => {
    const ads = new AdIds();
    const minutes = [minute(3_000, 1), minute(3_000, 2), minute(3_000, 3), minute(500, 4)];
    const sums = new AdSums(ads);
    // Two minutes frozen (indexed by the shared table), two as Maps (interned on the way).
    sums.apply(FrozenCells.from(minutes[0]!, ads), 1);
    sums.apply(minutes[1]!, 1);
    sums.apply(FrozenCells.from(minutes[2]!, ads), 1);
    sums.apply(minutes[3]!, 1);
    sums.apply(minutes[0]!, -1);
    const expected = recount([
      [minutes[1]!, 1],
      [minutes[2]!, 1],
      [minutes[3]!, 1],
    ]);
    expect(new Map(sums)).toEqual(expected);
    expect(sums.size).toBe(expected.size);
    for (const [ad, c] of expected) expect(sums.get(ad)).toBe(c);
    // An ad only in the subtracted minute is absent again, not zero.
    const gone = [...minutes[0]!.keys()].find((ad) => !expected.has(ad));
    if (gone !== undefined) expect(sums.has(gone)).toBe(false);
    expect(sums.get('ad-never-seen')).toBeUndefined();
    // Everything out again: empty.
    for (const m of minutes.slice(1)) sums.apply(m, -1);
    expect(sums.size).toBe(0);
    expect([...sums]).toEqual([]);
  });

  it('keeps sums of 255 and more exact, up and down across the byte limit', () => {
    const ads = new AdIds();
    const sums = new AdSums(ads);
    // Head ads cross 255 (and 65,535) as minutes add up, then fall back as they leave.
    const heavy = (k: number) =>
      new Map([
        ['head', 200 * k],
        ['second', 70_000],
        ['edge', 254],
        ['tail', 1],
      ]);
    const applied: Array<[Map<string, number>, 1 | -1]> = [];
    const step = (m: Map<string, number>, sign: 1 | -1) => {
      sums.apply(m, sign);
      applied.push([m, sign]);
      const expected = recount(applied);
      expect(new Map(sums)).toEqual(expected);
      expect(sums.size).toBe(expected.size);
      for (const [ad, c] of expected) expect(sums.get(ad)).toBe(c);
      const totals = new Float64Array(ads.size);
      sums.addInto(totals, 1);
      for (const [ad, c] of expected) expect(totals[ads.indexOf(ad)!]).toBe(c);
      expect(totals.reduce((a, b) => a + b, 0)).toBe([...expected.values()].reduce((a, b) => a + b, 0));
    };
    step(heavy(1), 1); // head 200, edge 254: below the limit; second far above
    step(heavy(1), 1); // head 400, edge 508: both above
    step(heavy(2), 1); // head 800, edge 762
    step(heavy(1), -1); // head 600, edge 508
    step(heavy(2), -1); // head 200, edge 254: back below the limit
    step(new Map([['edge', 254]]), -1); // edge gone
    expect([...sums.keys()].sort()).toEqual(['head', 'second', 'tail']);
    step(
      new Map([
        ['head', 200],
        ['second', 70_000],
        ['tail', 1],
      ]),
      -1,
    );
    expect(sums.size).toBe(0);
  });

  it('refuses to go below zero (a minute subtracted that was never added)', () => {
    const ads = new AdIds();
    const sums = new AdSums(ads);
    sums.apply(new Map([['a', 2]]), 1);
    expect(() => sums.apply(new Map([['a', 3]]), -1)).toThrow(RangeError);
  });

  it('adds into an array indexed by ad, and ranks it like topN (ties by ad id)', () => {
    const ads = new AdIds();
    const sums = new AdSums(ads);
    const m = minute(4_000, 9);
    sums.apply(m, 1);
    const extra = new Map([
      ['ad-extra-b', 40],
      ['ad-extra-a', 40],
    ]);
    for (const ad of extra.keys()) ads.intern(ad);
    const totals = new Float64Array(ads.size);
    sums.addInto(totals, 1);
    for (const [ad, c] of extra) totals[ads.indexOf(ad)!]! += c;
    const expected = topN(
      [
        ...recount([
          [m, 1],
          [extra, 1],
        ]),
      ].map(([adId, count]) => ({ adId, count })),
      25,
    );
    expect(topNOfIndexed(totals, (i) => ads.at(i), 25)).toEqual(expected);
    expect(topNOfIndexed(totals, (i) => ads.at(i), 0)).toEqual([]);
  });
});
