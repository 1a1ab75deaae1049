import { describe, expect, it } from 'vitest';
import { MergedView } from '../../../../serving-layer/merge/merged-view.ts';
import { splitRange } from '../../../../serving-layer/merge/split.ts';
import { MINUTE_MS } from '../../../../shared/aggregation/time.ts';
import { FakeView } from '../fake-views.ts';

const T0 = Date.UTC(2026, 0, 5, 10, 0);
const m = (i: number) => T0 + i * MINUTE_MS;

/** Batch has minutes 0..9 (watermark at minute 10); speed has minutes 5..14, disagreeing on 5..9 on purpose. */
function views(watermark: number | null = m(10)) {
  const batch = new FakeView();
  const speed = new FakeView();
  batch.wm = watermark ?? undefined;
  for (let i = 0; i < 10; i++) batch.set('ad-1', 'all', m(i), 10 + i).set('ad-2', 'all', m(i), 1);
  for (let i = 5; i < 15; i++) speed.set('ad-1', 'all', m(i), 100 + i).set('ad-2', 'all', m(i), 50);
  return { batch, speed, merged: new MergedView({ batch, speed }, { topN: 100 }) };
}
const batchSum = (a: number, b: number) =>
  Array.from({ length: b - a }, (_, k) => 10 + a + k).reduce((x, y) => x + y, 0);
const speedSum = (a: number, b: number) =>
  Array.from({ length: b - a }, (_, k) => 100 + a + k).reduce((x, y) => x + y, 0);

describe('splitRange', () => {
  it('cuts at the boundary and leaves out empty parts', () => {
    expect(splitRange(m(0), m(10), m(10))).toEqual([{ view: 'batch', from: m(0), to: m(10) }]);
    expect(splitRange(m(10), m(12), m(10))).toEqual([{ view: 'speed', from: m(10), to: m(12) }]);
    expect(splitRange(m(8), m(12), m(10))).toEqual([
      { view: 'batch', from: m(8), to: m(10) },
      { view: 'speed', from: m(10), to: m(12) },
    ]);
    expect(splitRange(m(0), m(3), undefined)).toEqual([{ view: 'speed', from: m(0), to: m(3) }]);
    expect(splitRange(m(3), m(3), m(10))).toEqual([]);
  });
});

describe('MergedView.count at the boundary', () => {
  it('a range ending just before the boundary comes from the batch view only', async () => {
    const { merged } = views();
    const a = await merged.count('ad-1', 'all', m(7), m(10));
    expect(a.count).toBe(batchSum(7, 10));
    expect(a.source).toEqual({ batch_until: m(10), speed_from: null, batch_watermark: m(10) });
  });

  it('a range starting at the boundary comes from the speed view only', async () => {
    const { merged } = views();
    const a = await merged.count('ad-1', 'all', m(10), m(12));
    expect(a.count).toBe(speedSum(10, 12));
    expect(a.source).toEqual({ batch_until: null, speed_from: m(10), batch_watermark: m(10) });
  });

  it('a range spanning the boundary takes each minute from exactly one view', async () => {
    const { merged } = views();
    const a = await merged.count('ad-1', 'all', m(8), m(12));
    expect(a.count).toBe(batchSum(8, 10) + speedSum(10, 12));
    expect(a.source).toEqual({ batch_until: m(10), speed_from: m(10), batch_watermark: m(10) });
  });

  it('a missing batch view leaves everything to the speed view', async () => {
    const { merged } = views(null);
    const a = await merged.count('ad-1', 'all', m(5), m(8));
    expect(a.count).toBe(speedSum(5, 8));
    expect(a.source).toEqual({ batch_until: null, speed_from: m(5), batch_watermark: null });
  });

  it('a late batch view (watermark behind) serves only what it covers', async () => {
    const { merged } = views(m(6));
    const a = await merged.count('ad-1', 'all', m(4), m(9));
    expect(a.count).toBe(batchSum(4, 6) + speedSum(6, 9));
  });

  it('a watermark inside a minute leaves that minute to the speed view', async () => {
    const { merged } = views(m(7) + 30_000);
    expect((await merged.count('ad-1', 'all', m(6), m(8))).count).toBe(batchSum(6, 7) + speedSum(7, 8));
  });

  it('an unknown ad counts 0 and an empty range counts 0', async () => {
    const { merged } = views();
    expect((await merged.count('nope', 'all', m(0), m(15))).count).toBe(0);
    expect((await merged.count('ad-1', 'all', m(3), m(3))).count).toBe(0);
  });

  it('a batch hour replayed while queries run: each answer sees the old or the new version, never a mix', async () => {
    const { batch, merged } = views();
    const before = (await merged.count('ad-1', 'all', m(0), m(10))).count;
    const pending = merged.count('ad-1', 'all', m(0), m(10));
    for (let i = 0; i < 10; i++) batch.set('ad-1', 'all', m(i), 20 + i); // the publish flips every cell at once
    const during = (await pending).count;
    const after = (await merged.count('ad-1', 'all', m(0), m(10))).count;
    expect([before, after]).toContain(during);
    expect(after).toBe(before + 100);
  });
});

describe('MergedView.series', () => {
  it('gives every minute of the range, zero where empty', async () => {
    const { merged } = views();
    const s = await merged.series('ad-1', 'all', m(9), m(16));
    expect(s.points.map((p) => p.count)).toEqual([19, 110, 111, 112, 113, 114, 0]);
    expect(s.points[0]!.minute).toBe(m(9));
  });
});

describe('MergedView.popular', () => {
  it('uses the stored list when the window lies in one view', async () => {
    const { speed, merged } = views();
    speed.storeTop(1, 'all', m(12), 100);
    const a = await merged.popular('all', 1, m(12), 2);
    expect(a.method).toBe('stored');
    expect(a.ads).toEqual([
      { adId: 'ad-1', count: 111 },
      { adId: 'ad-2', count: 50 },
    ]);
  });

  it('sums both views per ad, then ranks, when the window spans the boundary', async () => {
    const { batch, speed, merged } = views();
    // ad-3 is top in neither view alone but top over the spanning window.
    batch.set('ad-3', 'all', m(9), 150);
    speed.set('ad-3', 'all', m(10), 150);
    speed.storeTop(5, 'all', m(12), 1); // must not be used: it would miss the batch minutes
    const a = await merged.popular('all', 5, m(12), 2);
    expect(a.method).toBe('summed');
    expect(a.ads).toEqual([
      { adId: 'ad-3', count: 300 },
      { adId: 'ad-1', count: batchSum(7, 10) + speedSum(10, 12) },
    ]);
  });

  it('sums when no list was stored, ties ranked by ad_id', async () => {
    const { merged } = views();
    const a = await merged.popular('all', 1, m(3), 5);
    expect(a.method).toBe('summed');
    expect(a.ads).toEqual([
      { adId: 'ad-1', count: 12 },
      { adId: 'ad-2', count: 1 },
    ]);
  });

  it('a filtered caller always gets per-ad sums restricted to its ads', async () => {
    const { speed, merged } = views();
    speed.storeTop(1, 'all', m(12), 100);
    const a = await merged.popular('all', 1, m(12), 10, (ad) => ad === 'ad-2');
    expect(a.method).toBe('summed');
    expect(a.ads).toEqual([{ adId: 'ad-2', count: 50 }]);
  });
});

describe('MergedView watermark cache', () => {
  it('reuses one watermark read for watermarkCacheMs, then reads again; a failed read is not kept', async () => {
    const batch = new FakeView();
    const speed = new FakeView();
    let reads = 0;
    let fail = false;
    batch.wm = 120_000;
    const original = batch.watermark.bind(batch);
    batch.watermark = async () => {
      reads++;
      if (fail) throw new Error('cassandra timeout');
      return original();
    };
    const merged = new MergedView({ batch, speed }, { topN: 10, watermarkCacheMs: 40 });
    expect(await merged.boundary()).toBe(120_000);
    batch.wm = 180_000;
    expect(await merged.boundary()).toBe(120_000);
    expect(reads).toBe(1);
    await new Promise((r) => setTimeout(r, 50));
    fail = true;
    await expect(merged.boundary()).rejects.toThrow('cassandra timeout');
    fail = false;
    expect(await merged.boundary()).toBe(180_000);
    expect(reads).toBe(3);
  });
});
