import { describe, expect, it } from 'vitest';
import { ReadCache } from '../../../../serving-layer/merge/read-cache.ts';

function clock() {
  let t = 1_000;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

describe('ReadCache', () => {
  it('shares one load between concurrent reads of a key and reuses it until it expires', async () => {
    const c = clock();
    const cache = new ReadCache<number>({ maxWeight: 10, now: c.now });
    let loads = 0;
    const load = async () => ({ value: ++loads, weight: 1 });
    expect(await Promise.all([cache.get('a', 100, load), cache.get('a', 100, load)])).toEqual([1, 1]);
    c.advance(99);
    expect(await cache.get('a', 100, load)).toBe(1);
    c.advance(1);
    expect(await cache.get('a', 100, load)).toBe(2);
    expect(loads).toBe(2);
  });

  it('forgets a failed load, so the next read tries again', async () => {
    const cache = new ReadCache<string>({ maxWeight: 10 });
    await expect(
      cache.get('a', 1000, async () => {
        throw new Error('down');
      }),
    ).rejects.toThrow('down');
    expect(cache.size).toBe(0);
    expect(await cache.get('a', 1000, async () => ({ value: 'ok', weight: 1 }))).toBe('ok');
  });

  it('evicts the least recently used entries once the weights pass the bound', async () => {
    const cache = new ReadCache<string>({ maxWeight: 10 });
    const put = (key: string, weight: number) =>
      cache.get(key, Number.POSITIVE_INFINITY, async () => ({ value: key, weight }));
    await put('a', 4);
    await put('b', 4);
    await put('a', 99); // a hit: `a` becomes the most recently used, its weight unchanged
    await put('c', 4);
    expect(cache.weight).toBe(8);
    let reloaded = false;
    await cache.get('b', Number.POSITIVE_INFINITY, async () => {
      reloaded = true;
      return { value: 'b', weight: 4 };
    });
    expect(reloaded).toBe(true);
    expect(cache.weight).toBeLessThanOrEqual(10);
  });

  it('tells every read as a hit or a miss (a load under way counts as a hit)', async () => {
    const seen: boolean[] = [];
    const cache = new ReadCache<number>({ maxWeight: 10, onRead: (hit) => seen.push(hit) });
    const load = async () => ({ value: 1, weight: 1 });
    await Promise.all([cache.get('a', 1000, load), cache.get('a', 1000, load)]);
    await cache.get('a', 1000, load);
    await cache.get('b', 1000, load);
    expect(seen).toEqual([false, true, true, false]);
  });

  it('reloads a steadily read entry in the background before it expires, never serving it past its time to live', async () => {
    const c = clock();
    const cache = new ReadCache<number>({ maxWeight: 10, now: c.now, refreshAhead: 0.5 });
    let loads = 0;
    let release: () => void = () => {};
    const load = async () => {
      loads++;
      if (loads > 1) await new Promise<void>((r) => (release = r));
      return { value: loads, weight: 1 };
    };
    expect(await cache.get('a', 100, load)).toBe(1);
    c.advance(60); // past half its life: served, and a reload starts
    expect(await cache.get('a', 100, load)).toBe(1);
    expect(await cache.get('a', 100, load)).toBe(1);
    expect(loads).toBe(2);
    release();
    await new Promise((r) => setTimeout(r, 0));
    c.advance(40); // the first load has expired now; the reload (started at 60) has not
    expect(await cache.get('a', 100, load)).toBe(2);
    expect(loads).toBe(2);
  });

  it('refuses a bound that is not positive, naming it', () => {
    expect(() => new ReadCache({ maxWeight: 0 })).toThrow('readCache.maxWeight');
  });
});
