import { describe, expect, it } from 'vitest';
import { CachedBatchView } from '../../../../serving-layer/merge/cached-batch-view.ts';
import { CachedSpeedView } from '../../../../serving-layer/merge/cached-speed-view.ts';
import { MergedView } from '../../../../serving-layer/merge/merged-view.ts';
import { HOUR_MS, MINUTE_MS } from '../../../../shared/aggregation/time.ts';
import { FakeView } from '../fake-views.ts';

const H0 = Date.UTC(2026, 0, 5, 10, 0);
const m = (i: number) => H0 + i * MINUTE_MS;

function clock(start: number) {
  let t = start;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

/** A batch view with hours 10:00 and 11:00 published (version 1), cells in both. */
function batchFixture() {
  const inner = new FakeView();
  inner.hours.add(H0).add(H0 + HOUR_MS);
  for (let i = 0; i < 120; i += 7) inner.set('ad-1', 'all', m(i), i + 1).set('ad-2', 'all', m(i), 2);
  inner.wm = H0 + 2 * HOUR_MS;
  const c = clock(H0 + 3 * HOUR_MS);
  return { inner, c, view: new CachedBatchView(inner, { pointerTtlMs: 1000, now: c.now }) };
}

const sum = (cells: Array<{ count: number }>) => cells.reduce((s, x) => s + x.count, 0);

describe('CachedBatchView', () => {
  it('answers like the view it wraps, and reads each published hour version once', async () => {
    const { inner, view } = batchFixture();
    const expected = await inner.minuteCounts('ad-1', 'all', m(30), m(90));
    inner.calls = [];
    expect(await view.minuteCounts('ad-1', 'all', m(30), m(90))).toEqual(expected);
    expect(await view.minuteCounts('ad-1', 'all', m(31), m(91))).toEqual(
      await inner.minuteCounts('ad-1', 'all', m(31), m(91)),
    );
    expect(await view.sliceMinute('all', m(14))).toEqual(await inner.sliceMinute('all', m(14)));
    inner.calls = [];
    await view.minuteCounts('ad-1', 'all', m(0), m(120));
    await view.sliceMinute('all', m(14));
    expect(inner.calls.filter((x) => !x.startsWith('publishedHours'))).toEqual([]);
  });

  it('never serves the previous version once the re-published pointer is read', async () => {
    const { inner, c, view } = batchFixture();
    const before = sum(await view.minuteCounts('ad-1', 'all', m(0), m(60)));
    const beforeSlice = await view.sliceMinute('all', m(7));
    // The batch layer writes version 2 of hour 10:00 with other counts, then flips the pointer.
    inner.set('ad-1', 'all', m(7), 1000);
    inner.versions.set(H0, 2);
    // Within the pointer's time to live the previous version may still answer, whole.
    expect(sum(await view.minuteCounts('ad-1', 'all', m(0), m(60)))).toBe(before);
    c.advance(1000);
    expect(sum(await view.minuteCounts('ad-1', 'all', m(0), m(60)))).toBe(before - 8 + 1000);
    expect(await view.sliceMinute('all', m(7))).not.toEqual(beforeSlice);
    expect(await view.sliceMinute('all', m(7))).toEqual(await inner.sliceMinute('all', m(7)));
    expect(await view.versionTag(m(0), m(120))).toBe(`${H0}:2,${H0 + HOUR_MS}:1`);
  });

  it('with a pointer time to live of 0, the very next read after a publish sees it', async () => {
    const { inner } = batchFixture();
    const view = new CachedBatchView(inner, { pointerTtlMs: 0 });
    await view.minuteCounts('ad-1', 'all', m(0), m(60));
    inner.set('ad-1', 'all', m(7), 1000);
    inner.versions.set(H0, 2);
    const cells = await view.minuteCounts('ad-1', 'all', m(7), m(8));
    expect(cells.map((x) => x.count)).toEqual([1000]);
  });

  it('a just-published hour under a just-moved watermark is read at once, not after the pointers expire', async () => {
    const { inner, c } = batchFixture();
    inner.hours.delete(H0 + HOUR_MS);
    inner.wm = H0 + HOUR_MS;
    const batch = new CachedBatchView(inner, { pointerTtlMs: 60_000, now: c.now });
    const merged = new MergedView({ batch, speed: new FakeView() }, { topN: 10 });
    const expected = async (from: number, to: number) =>
      sum(await inner.minuteCounts('ad-1', 'all', from, to));
    expect((await merged.count('ad-1', 'all', m(0), m(60))).count).toBe(await expected(m(0), m(60)));
    // The batch layer publishes 11:00, then moves the watermark past it; no time passes.
    inner.hours.add(H0 + HOUR_MS);
    inner.wm = H0 + 2 * HOUR_MS;
    const answer = await merged.count('ad-1', 'all', m(0), m(120));
    expect(answer.source.batch_until).toBe(m(120));
    expect(answer.count).toBe(await expected(m(0), m(120)));
    expect(answer.count).toBeGreaterThan(await expected(m(0), m(60)));
  });

  it('reads nothing of an hour that is not published, as the store does', async () => {
    const { inner } = batchFixture();
    inner.hours.delete(H0 + HOUR_MS);
    const fresh = new CachedBatchView(inner);
    expect(await fresh.minuteCounts('ad-1', 'all', m(60), m(120))).toEqual([]);
    expect(await fresh.sliceMinute('all', m(63))).toEqual([]);
    expect(await fresh.topList(60, 'all', m(120))).toBeUndefined();
  });
});

describe('CachedSpeedView', () => {
  /** Now is 10:30:30; minutes end + 60 s before now are closed, i.e. minutes before 10:29. */
  function speedFixture() {
    const inner = new FakeView();
    for (let i = 0; i < 31; i++) inner.set('ad-1', 'all', m(i), 1);
    const c = clock(m(30) + 30_000);
    return { inner, c, view: new CachedSpeedView(inner, { closedAfterMs: 60_000, ttlMs: 5000, now: c.now }) };
  }

  it('reads open minutes live on every request and reuses closed ones until their time to live', async () => {
    const { inner, c, view } = speedFixture();
    expect(view.closedBefore()).toBe(m(29));
    expect(sum(await view.minuteCounts('ad-1', 'all', m(0), m(31)))).toBe(31);
    inner.set('ad-1', 'all', m(30), 5); // an open minute changes: visible at once
    inner.set('ad-1', 'all', m(3), 9); // a closed minute changes (only a lagging speed layer does this)
    expect(sum(await view.minuteCounts('ad-1', 'all', m(0), m(31)))).toBe(35);
    c.advance(5000);
    expect(sum(await view.minuteCounts('ad-1', 'all', m(0), m(31)))).toBe(43);
  });

  it('caches slice minutes and stored lists only when they are closed', async () => {
    const { inner, view } = speedFixture();
    inner.storeTop(5, 'all', m(20), 10).storeTop(5, 'all', m(31), 10);
    await view.sliceMinute('all', m(10));
    await view.sliceMinute('all', m(30));
    await view.topList(5, 'all', m(20));
    await view.topList(5, 'all', m(31));
    inner.calls = [];
    await view.sliceMinute('all', m(10));
    await view.sliceMinute('all', m(30));
    await view.topList(5, 'all', m(20));
    await view.topList(5, 'all', m(31));
    expect(inner.calls).toEqual([`sliceMinute ${m(30)}`, `topList 5 ${m(31)}`]);
  });
});

describe('MergedView answer cache for popular', () => {
  function merged() {
    const { inner: batch, c } = batchFixture();
    const speed = new FakeView();
    for (let i = 120; i < 180; i++) speed.set('ad-3', 'all', m(i), 1).set('ad-1', 'all', m(i), 1);
    const cachedBatch = new CachedBatchView(batch, { pointerTtlMs: 1000, now: c.now });
    const view = new MergedView(
      { batch: cachedBatch, speed },
      { topN: 100, popularCache: { ttlMs: 5000, closedBefore: () => m(200), now: c.now } },
    );
    return { batch, speed, c, view };
  }

  it('reuses a ranking over closed minutes, and a smaller count is its prefix', async () => {
    const { speed, view } = merged();
    const full = await view.popular('all', 60, m(150), 100);
    speed.calls = [];
    expect((await view.popular('all', 60, m(150), 1)).ads).toEqual(full.ads.slice(0, 1));
    expect(speed.calls).toEqual([]);
  });

  it('does not serve a ranking of a previous batch version after a re-publish', async () => {
    const { batch, c, view } = merged();
    const before = await view.popular('all', 60, m(150), 100);
    // ad-1: minutes 91, 98, 105, 112, 119 of the batch view (count minute + 1), 30 speed minutes.
    expect(before.ads[0]).toEqual({ adId: 'ad-1', count: 92 + 99 + 106 + 113 + 120 + 30 });
    batch.set('ad-2', 'all', m(119), 1000);
    batch.versions.set(H0 + HOUR_MS, 2);
    c.advance(1000);
    const after = await view.popular('all', 60, m(150), 100);
    expect(after.ads[0]).toEqual({ adId: 'ad-2', count: 1000 + 2 * 4 });
  });

  it('never caches a scoped caller’s ranking', async () => {
    const { speed, view } = merged();
    await view.popular('all', 60, m(150), 10, (ad) => ad !== 'ad-1');
    speed.calls = [];
    const answer = await view.popular('all', 60, m(150), 10, (ad) => ad !== 'ad-1');
    expect(answer.ads.map((a) => a.adId)).not.toContain('ad-1');
    expect(speed.calls.length).toBeGreaterThan(0);
  });
});

describe('MergedView over a window still open at its end', () => {
  /** Seeded pseudo-random counts, so a failure reproduces. */
  function random(seed: number) {
    let x = seed;
    return () => {
      x = (x * 1_103_515_245 + 12_345) % 2_147_483_648;
      return x / 2_147_483_648;
    };
  }

  it('ranks exactly like a full recount while open minutes change, closed sums reused', async () => {
    const next = random(7);
    const batch = new FakeView();
    const speed = new FakeView();
    batch.wm = m(30);
    for (let i = 0; i < 60; i++) {
      for (let a = 0; a < 40; a++) {
        if (next() < 0.3) (i < 30 ? batch : speed).set(`ad-${a}`, 'all', m(i), 1 + Math.floor(next() * 5));
      }
    }
    batch.hours.add(H0);
    let closedBefore = m(50);
    const cached = new MergedView(
      { batch: new CachedBatchView(batch), speed },
      { topN: 100, popularCache: { ttlMs: 60_000, closedBefore: () => closedBefore } },
    );
    const plain = new MergedView({ batch, speed }, { topN: 100 });
    const check = async () => {
      for (const [window, end] of [
        [60, m(60)],
        [15, m(55)],
        [5, m(52)],
        [60, m(51)],
      ] as const) {
        for (const n of [1, 3, 10, 100]) {
          const got = await cached.popular('all', window, end, n);
          expect(got.ads, `${window} ${end} ${n}`).toEqual((await plain.popular('all', window, end, n)).ads);
        }
      }
    };
    await check();
    // Open minutes change between requests: a new ad and a jump of a ranked one, both seen at once.
    speed.set('ad-new', 'all', m(55), 40).set('ad-3', 'all', m(51), 30);
    speed.calls = [];
    await cached.popular('all', 60, m(60), 100);
    expect(speed.calls).toContain(`sliceMinute ${m(55)}`);
    expect(speed.calls).not.toContain(`sliceMinute ${m(40)}`);
    await check();
    // The closed edge moves on: a new key, still exact.
    closedBefore = m(53);
    await check();
  });
});
