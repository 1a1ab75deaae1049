import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MergedView } from '../../../../serving-layer/merge/merged-view.ts';
import type { TopList } from '../../../../shared/aggregate-store/types.ts';
import { createTestKeyspace, type TestKeyspace } from '../../../../shared/cassandra/testing.ts';
import { requireCassandra, testConfig } from '../../../helpers/services.ts';
import {
  busiestAds,
  expectedCount,
  expectedTop,
  HOUR,
  MINUTE,
  type StreamFixture,
  streamFixture,
} from '../stream-fixture.ts';
import { configFor, openViews, seedBatchHours, seedSpeed, topListsOf } from '../views.ts';

const config = testConfig();
const TOP_N = 100;
const START = Date.UTC(2026, 2, 10, 8, 0);
/** Hours 08 and 09 are recomputed: the batch view serves minutes before 10:00. */
const B = START + 2 * HOUR;
const f: StreamFixture = streamFixture(START, 'mv-');
const ads = [...busiestAds(f, 6), 'mv-never-clicked'];
const keyspaces: TestKeyspace[] = [];
const closers: Array<() => Promise<void>> = [];

async function views() {
  const ks = await createTestKeyspace({ config, prefix: 'merge' });
  keyspaces.push(ks);
  const v = await openViews(configFor(config, ks.keyspace));
  closers.push(v.close);
  return v;
}

/** Stored lists a window entirely on one side of the boundary is answered from. */
const LIST_KEYS = [
  { windowMinutes: 60, slice: 'all', endMinute: B },
  { windowMinutes: 60, slice: 'country=US', endMinute: B },
  { windowMinutes: 15, slice: 'all', endMinute: B + 30 * MINUTE },
  { windowMinutes: 60, slice: 'all', endMinute: B + HOUR },
];

let merged: MergedView;

beforeAll(async () => {
  await requireCassandra(config);
  const { speed, batch } = await views();
  await seedSpeed(speed, f.speed, topListsOf(f.speed, LIST_KEYS, TOP_N));
  await seedBatchHours(batch, f.all, [START, START + HOUR], 1, topListsOf(f.all, LIST_KEYS, TOP_N));
  await batch.setWatermark(B);
  merged = new MergedView({ speed, batch }, { topN: TOP_N });
});

afterAll(async () => {
  for (const c of closers) await c().catch(() => undefined);
  for (const ks of keyspaces) await ks.drop();
});

describe('MergedView over the real Cassandra views, against an independent recount', () => {
  it('the stream makes the two views differ before the boundary (late clicks), so the cut matters', () => {
    expect(f.all.count(ads[0]!, 'all', START, B)).toBeGreaterThan(0);
    const late = f.all.total - f.speed.total;
    expect(late).toBeGreaterThan(20);
  });

  it.each([
    ['ending just before the boundary', B - HOUR, B, { batch_until: B, speed_from: null }],
    [
      'ending one minute before the boundary',
      B - 30 * MINUTE,
      B - MINUTE,
      { batch_until: B - MINUTE, speed_from: null },
    ],
    ['starting at the boundary', B, B + 30 * MINUTE, { batch_until: null, speed_from: B }],
    ['spanning the boundary', B - 75 * MINUTE, B + 25 * MINUTE, { batch_until: B, speed_from: B }],
  ])('counts and series %s', async (_name, from, to, source) => {
    for (const slice of ['all', 'country=US', 'country=KR']) {
      for (const ad of ads) {
        const c = await merged.count(ad, slice, from, to);
        expect(c.count, `${ad} ${slice}`).toBe(expectedCount(f, B, ad, slice, from, to));
        expect(c.source).toEqual({ ...source, batch_watermark: B });
      }
    }
    const s = await merged.series(ads[0]!, 'all', from, to);
    expect(s.points).toHaveLength((to - from) / MINUTE);
    for (const p of s.points)
      expect(p.count, new Date(p.minute).toISOString()).toBe(
        expectedCount(f, B, ads[0]!, 'all', p.minute, p.minute + MINUTE),
      );
  });

  it.each([
    ['inside the batch view (stored list)', 60, 'all', B, 'stored'],
    ['inside the batch view, one country (stored list)', 60, 'country=US', B, 'stored'],
    ['inside the speed view (stored list)', 15, 'all', B + 30 * MINUTE, 'stored'],
    ['across the boundary (summed)', 60, 'all', B + 30 * MINUTE, 'summed'],
    ['across the boundary, one country (summed)', 60, 'country=DE', B + 20 * MINUTE, 'summed'],
    ['across the boundary, 5 minutes (summed)', 5, 'all', B + 2 * MINUTE, 'summed'],
  ] as const)('popular_ads %s is exact', async (_name, window, slice, end, method) => {
    const answer = await merged.popular(slice, window, end, TOP_N);
    expect(answer.method).toBe(method);
    expect(answer.ads).toEqual(expectedTop(f, B, window, slice, end, TOP_N));
    expect(answer.ads.length).toBeGreaterThan(10);
  });

  it('popular_ads for a caller who may see some ads only ranks exactly those, across the boundary', async () => {
    const visible = (adId: string) => adId.endsWith('1') || adId.endsWith('7');
    const answer = await merged.popular('all', 60, B + 30 * MINUTE, 10, visible);
    expect(answer.ads).toEqual(expectedTop(f, B, 60, 'all', B + 30 * MINUTE, 10, visible));
    expect(answer.ads.every((a) => visible(a.adId))).toBe(true);
  });
});

describe('MergedView while the batch layer is behind or republishes', () => {
  it('serves everything from the speed view before any batch hour, then moves the boundary', async () => {
    const { speed, batch } = await views();
    await seedSpeed(speed, f.speed, []);
    const view = new MergedView({ speed, batch }, { topN: TOP_N });
    const from = START + 30 * MINUTE;
    const to = START + 90 * MINUTE;
    for (const ad of ads)
      expect((await view.count(ad, 'all', from, to)).count).toBe(f.speed.count(ad, 'all', from, to));
    expect((await view.count(ads[0]!, 'all', from, to)).source).toEqual({
      batch_until: null,
      speed_from: from,
      batch_watermark: null,
    });
    expect((await view.popular('all', 60, to, TOP_N)).ads).toEqual(
      expectedTop(f, undefined, 60, 'all', to, TOP_N),
    );

    // Hour 08 recomputed, hour 09 late: the watermark (09:00) cuts the range in two.
    await seedBatchHours(batch, f.all, [START], 1, []);
    await batch.setWatermark(START + HOUR);
    for (const ad of ads)
      expect((await view.count(ad, 'all', from, to)).count).toBe(
        expectedCount(f, START + HOUR, ad, 'all', from, to),
      );
    expect((await view.popular('all', 60, to, TOP_N)).ads).toEqual(
      expectedTop(f, START + HOUR, 60, 'all', to, TOP_N),
    );
  });

  it('an hour republished while queries run: every answer is the old hour or the new one, never a mix', async () => {
    const { speed, batch } = await views();
    const hour = START;
    const key = [{ windowMinutes: 60, slice: 'all', endMinute: hour + HOUR }];
    // Version 1 was computed before the late clicks were archived; version 2 has them.
    await seedBatchHours(batch, f.speed, [hour], 1, topListsOf(f.speed, key, TOP_N));
    await batch.setWatermark(hour + HOUR);
    const view = new MergedView({ speed, batch }, { topN: TOP_N });
    const changed = ads.filter(
      (ad) => f.speed.count(ad, 'all', hour, hour + HOUR) !== f.all.count(ad, 'all', hour, hour + HOUR),
    );
    const ad = changed[0] ?? ads[0]!;
    const old = f.speed.count(ad, 'all', hour, hour + HOUR);
    const fresh = f.all.count(ad, 'all', hour, hour + HOUR);
    const oldTop = f.speed.top(60, 'all', hour + HOUR, TOP_N);
    const newTop = f.all.top(60, 'all', hour + HOUR, TOP_N);
    expect(newTop).not.toEqual(oldTop);

    let publishing = true;
    const counts: number[] = [];
    const tops: TopList['ads'][] = [];
    const reader = (async () => {
      while (publishing) {
        counts.push((await view.count(ad, 'all', hour, hour + HOUR)).count);
        tops.push((await view.popular('all', 60, hour + HOUR, TOP_N)).ads);
      }
    })();
    await seedBatchHours(batch, f.all, [hour], 2, topListsOf(f.all, key, TOP_N));
    publishing = false;
    await reader;

    expect(counts.length).toBeGreaterThan(0);
    for (const c of counts) expect([old, fresh]).toContain(c);
    for (const t of tops) expect([oldTop, newTop]).toContainEqual(t);
    expect((await view.count(ad, 'all', hour, hour + HOUR)).count).toBe(fresh);
    expect((await view.popular('all', 60, hour + HOUR, TOP_N)).ads).toEqual(newTop);
  });
});
