import { describe, expect, it } from 'vitest';
import { AdIds } from '../../../../speed-layer/aggregate/ad-ids.ts';
import { FrozenCells } from '../../../../speed-layer/aggregate/frozen-cells.ts';

/** A pseudo-random minute: `n` ads out of a catalogue, counts from 1 to large. */
function minute(n: number, seed: number): Map<string, number> {
  const counts = new Map<string, number>();
  let x = seed;
  while (counts.size < n) {
    x = (x * 48_271) % 2_147_483_647;
    const count = x % 10 === 0 ? 1 + (x % 5_000_000) : 1 + (x % 3);
    counts.set(`ad-${x % 200_000}`, count);
  }
  return counts;
}

describe('FrozenCells', () => {
  it('holds exactly the counts it was frozen from: every entry, lookup and absence', () => {
    const ads = new AdIds();
    const source = minute(20_000, 7);
    const frozen = FrozenCells.from(source, ads);
    expect(frozen.size).toBe(source.size);
    expect(new Map(frozen)).toEqual(source);
    for (const [adId, count] of source) expect(frozen.get(adId)).toBe(count);
    expect(frozen.get('ad-never-seen')).toBeUndefined();
    // Interned by another minute, absent from this one.
    ads.intern('ad-elsewhere');
    expect(frozen.has('ad-elsewhere')).toBe(false);
    expect([...frozen.keys()].sort()).toEqual([...source.keys()].sort());
    expect([...frozen.values()].reduce((a, b) => a + b, 0)).toBe(
      [...source.values()].reduce((a, b) => a + b, 0),
    );
  });

  it('shares one id table across minutes and stays a few bytes a cell', () => {
    const ads = new AdIds();
    const minutes = [minute(50_000, 1), minute(50_000, 2), minute(50_000, 3)];
    const frozen = minutes.map((m) => FrozenCells.from(m, ads));
    minutes.forEach((m, i) => {
      expect(new Map(frozen[i]!)).toEqual(m);
    });
    expect(ads.size).toBeLessThanOrEqual(150_000);
    for (const f of frozen) expect(f.byteLength / f.size).toBeLessThan(6);
  });

  it('handles the edges: empty, one cell, a block boundary, the largest count', () => {
    const ads = new AdIds();
    expect(FrozenCells.from(new Map(), ads).get('a')).toBeUndefined();
    expect([...FrozenCells.from(new Map(), ads)]).toEqual([]);
    const one = FrozenCells.from(new Map([['a', 2 ** 32 - 1]]), ads);
    expect(one.get('a')).toBe(2 ** 32 - 1);
    const block = new Map(Array.from({ length: 33 }, (_, i) => [`b${i}`, i + 1] as [string, number]));
    const frozen = FrozenCells.from(block, ads);
    for (const [adId, count] of block) expect(frozen.get(adId)).toBe(count);
    let visited = 0;
    frozen.forEach((count, adId) => {
      expect(block.get(adId)).toBe(count);
      visited++;
    });
    expect(visited).toBe(33);
  });

  it('refuses a count it cannot hold rather than storing a wrong one', () => {
    expect(() => FrozenCells.from(new Map([['a', 2 ** 32]]), new AdIds())).toThrow(RangeError);
    expect(() => FrozenCells.from(new Map([['a', 1.5]]), new AdIds())).toThrow(RangeError);
  });
});
