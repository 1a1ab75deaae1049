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
  it('re-indexes against a pruned table: same cells, lookups and absences; the old one unchanged', () => {
    const old = new AdIds();
    const kept = FrozenCells.from(minute(20_000, 11), old);
    const gone = FrozenCells.from(minute(20_000, 12), old);
    // The pruned table keeps the ids `kept` uses, in their old order.
    const remap = new Int32Array(old.size).fill(-1);
    kept.forEachIndexed((index) => {
      remap[index] = 0;
    });
    const ads = new AdIds();
    for (let i = 0; i < remap.length; i++) if (remap[i] === 0) remap[i] = ads.intern(old.at(i));
    expect(ads.size).toBeLessThan(old.size);
    const moved = kept.remapped(ads, remap);
    expect(moved.indexedBy(ads)).toBe(true);
    expect(new Map(moved)).toEqual(new Map(kept));
    for (const [adId, count] of kept) expect(moved.get(adId)).toBe(count);
    for (const adId of gone.keys()) if (!kept.has(adId)) expect(moved.get(adId)).toBeUndefined();
    const indexes: number[] = [];
    moved.forEachIndexed((index) => indexes.push(index));
    expect(indexes.map((i) => ads.at(i))).toEqual([...kept.keys()]);
    // The old cells still read through the old table (a holder may be writing them).
    expect(kept.indexedBy(old)).toBe(true);
    expect(new Map(gone)).toEqual(minute(20_000, 12));
    // A mapping that would reorder the cells is refused, not encoded wrong.
    expect(() =>
      kept.remapped(
        ads,
        remap.map((v) => (v >= 0 ? remap.length - v : v)),
      ),
    ).toThrow(RangeError);
  });
});
