import { describe, expect, it } from 'vitest';
import { AdIds } from '../../../../speed-layer/aggregate/ad-ids.ts';

/** Ad ids as SPEC A1 allows them: 1–64 characters of [A-Za-z0-9_.:-]. */
function randomIds(n: number, seed: number): string[] {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:-';
  let x = seed;
  const next = () => {
    x = (x * 48_271) % 2_147_483_647;
    return x;
  };
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const length = next() % 10 === 0 ? 1 + (next() % 64) : 6 + (next() % 8);
    let id = '';
    for (let c = 0; c < length; c++) id += alphabet[next() % alphabet.length];
    out.push(id);
  }
  return out;
}

describe('AdIds', () => {
  it('gives each distinct id one index, in order of first sight, and the id back for it', () => {
    const ads = new AdIds();
    const model = new Map<string, number>();
    // Repeats and near misses (prefixes, one character off) through several rehashes and regrowths.
    const ids = randomIds(50_000, 5);
    const stream = [
      ...ids,
      ...ids.slice(0, 20_000),
      ...ids.map((id) => `${id}x`),
      ...ids.filter((id) => id.length > 1).map((id) => id.slice(1)),
    ];
    const wrong: unknown[] = [];
    for (const id of stream) {
      if (!model.has(id)) model.set(id, model.size);
      const index = ads.intern(id);
      if (index !== model.get(id)) wrong.push(['intern', id, index]);
    }
    expect(ads.size).toBe(model.size);
    // Twice: the first reads decode past the cache's reach, the second partly from it.
    for (let round = 0; round < 2; round++) {
      for (const [id, index] of model) {
        if (ads.indexOf(id) !== index) wrong.push(['indexOf', id, ads.indexOf(id)]);
        if (ads.at(index) !== id) wrong.push(['at', index, ads.at(index)]);
      }
    }
    expect(wrong.slice(0, 5)).toEqual([]);
    expect(ads.indexOf('never-interned')).toBeUndefined();
    expect(ads.indexOf('')).toBeUndefined();
  });

  it('refuses an index it never gave and an id that is not ASCII', () => {
    const ads = new AdIds();
    ads.intern('ad-1');
    expect(() => ads.at(1)).toThrow(RangeError);
    expect(() => ads.at(-1)).toThrow(RangeError);
    expect(() => ads.intern('ad-é')).toThrow(RangeError);
    expect(ads.size).toBe(1);
    expect(ads.indexOf('ad-1')).toBe(0);
  });
});
