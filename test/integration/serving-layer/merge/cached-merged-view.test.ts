import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MergedView } from '../../../../serving-layer/merge/merged-view.ts';
import {
  BATCH_POINTER_TTL_MS,
  cachedMergedView,
  SPEED_CACHE_TTL_MS,
} from '../../../../serving-layer/serving-layer.ts';
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

/**
 * The API's merged view with its caches (serving-layer.ts `cachedMergedView`) over the real
 * Cassandra views: the same exact answers cold and warm, a re-published hour never answered from
 * its previous version once the pointer is re-read, and open speed minutes reused only within the
 * freshness budget (live-freshness.test.ts tests that budget in detail).
 */
const config = testConfig();
const TOP_N = 100;
const START = Date.UTC(2026, 2, 11, 8, 0);
const B = START + 2 * HOUR;
const f: StreamFixture = streamFixture(START, 'cmv-');
const ads = [...busiestAds(f, 5), 'cmv-never-clicked'];
const keyspaces: TestKeyspace[] = [];
const closers: Array<() => Promise<void>> = [];
const LIST_KEYS = [
  { windowMinutes: 60, slice: 'all', endMinute: B },
  { windowMinutes: 15, slice: 'all', endMinute: B + 30 * MINUTE },
];

async function views() {
  const ks = await createTestKeyspace({ config, prefix: 'cmerge' });
  keyspaces.push(ks);
  const v = await openViews(configFor(config, ks.keyspace));
  closers.push(v.close);
  return v;
}

/** A clock the caches read, moved by the tests. */
function clock(start: number) {
  let t = start;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

beforeAll(async () => {
  await requireCassandra(config);
});

afterAll(async () => {
  for (const c of closers) await c().catch(() => undefined);
  for (const ks of keyspaces) await ks.drop();
});

describe('the cached merged view against an independent recount', () => {
  let merged: MergedView;
  beforeAll(async () => {
    const { speed, batch } = await views();
    await seedSpeed(speed, f.speed, topListsOf(f.speed, LIST_KEYS, TOP_N));
    await seedBatchHours(batch, f.all, [START, START + HOUR], 1, topListsOf(f.all, LIST_KEYS, TOP_N));
    await batch.setWatermark(B);
    merged = cachedMergedView(config, { speed, batch });
  });

  it.each(['cold', 'warm'])('counts and popular_ads are exact with %s caches', async () => {
    for (const [from, to] of [
      [B - HOUR, B],
      [B, B + 30 * MINUTE],
      [B - 75 * MINUTE, B + 25 * MINUTE],
      [B - 31 * MINUTE, B + 29 * MINUTE],
    ] as const) {
      for (const slice of ['all', 'country=US']) {
        for (const ad of ads)
          expect((await merged.count(ad, slice, from, to)).count, `${ad} ${slice} ${from}`).toBe(
            expectedCount(f, B, ad, slice, from, to),
          );
      }
    }
    for (const [window, slice, end, method] of [
      [60, 'all', B, 'stored'],
      [15, 'all', B + 30 * MINUTE, 'stored'],
      [60, 'all', B + 30 * MINUTE, 'summed'],
      [5, 'country=DE', B + 2 * MINUTE, 'summed'],
    ] as const) {
      const answer = await merged.popular(slice, window, end, TOP_N);
      expect(answer.method).toBe(method);
      expect(answer.ads).toEqual(expectedTop(f, B, window, slice, end, TOP_N));
      expect((await merged.popular(slice, window, end, 7)).ads).toEqual(answer.ads.slice(0, 7));
    }
  });
});

describe('the cached merged view while the views change', () => {
  it('a re-published hour is answered from its new version once the pointer is re-read, never a mix', async () => {
    const { speed, batch } = await views();
    const hour = START;
    const key = [{ windowMinutes: 60, slice: 'all', endMinute: hour + HOUR }];
    await seedSpeed(speed, f.speed, []);
    await seedBatchHours(batch, f.speed, [hour], 1, topListsOf(f.speed, key, TOP_N));
    await batch.setWatermark(hour + HOUR);
    const c = clock(Date.now());
    const view = cachedMergedView(config, { speed, batch }, { now: c.now });
    const ad =
      ads.find(
        (a) => f.speed.count(a, 'all', hour, hour + HOUR) !== f.all.count(a, 'all', hour, hour + HOUR),
      ) ?? ads[0]!;
    const [old, fresh] = [f.speed, f.all].map((r) => r.count(ad, 'all', hour, hour + HOUR));
    const [oldTop, newTop] = [f.speed, f.all].map((r) => r.top(60, 'all', hour + HOUR, TOP_N));
    // Spans the hour and the speed view after it: summed per ad, so also the cached slice minutes.
    const spanning = () => view.popular('all', 60, hour + HOUR + 30 * MINUTE, TOP_N);
    const spanningOld = expectedTop(
      { ...f, all: f.speed },
      hour + HOUR,
      60,
      'all',
      hour + HOUR + 30 * MINUTE,
      TOP_N,
    );
    const spanningNew = expectedTop(f, hour + HOUR, 60, 'all', hour + HOUR + 30 * MINUTE, TOP_N);
    expect(newTop).not.toEqual(oldTop);
    expect(spanningNew).not.toEqual(spanningOld);

    expect((await view.count(ad, 'all', hour, hour + HOUR)).count).toBe(old);
    expect((await view.popular('all', 60, hour + HOUR, TOP_N)).ads).toEqual(oldTop);
    expect((await spanning()).ads).toEqual(spanningOld);

    await seedBatchHours(batch, f.all, [hour], 2, topListsOf(f.all, key, TOP_N));
    // Until the pointer is re-read, the previous version may answer — whole, never mixed.
    expect([old, fresh]).toContain((await view.count(ad, 'all', hour, hour + HOUR)).count);
    expect([oldTop, newTop]).toContainEqual((await view.popular('all', 60, hour + HOUR, TOP_N)).ads);

    c.advance(BATCH_POINTER_TTL_MS);
    expect((await view.count(ad, 'all', hour, hour + HOUR)).count).toBe(fresh);
    expect((await view.popular('all', 60, hour + HOUR, TOP_N)).ads).toEqual(newTop);
    expect((await spanning()).ads).toEqual(spanningNew);
  });

  it('open speed minutes are reused within the freshness budget; closed ones for at most the cache time to live', async () => {
    const { speed, batch } = await views();
    await seedSpeed(speed, f.speed, []);
    // Now is 40 minutes after START: with the test config's lateness, earlier minutes are closed.
    const c = clock(START + 40 * MINUTE + 1000);
    const view = cachedMergedView(config, { speed, batch }, { now: c.now });
    const ad = ads[0]!;
    const from = START;
    const to = START + 41 * MINUTE;
    const base = f.speed.count(ad, 'all', from, to);
    expect((await view.count(ad, 'all', from, to)).count).toBe(base);
    // A window open at its end: cached sums of its closed minutes plus its open minutes read live.
    for (let i = 0; i < 2; i++)
      expect((await view.popular('all', 60, to, TOP_N)).ads).toEqual(
        expectedTop(f, undefined, 60, 'all', to, TOP_N),
      );
    const open = START + 40 * MINUTE;
    const closed = START + 5 * MINUTE;
    const cell = (minute: number) => f.speed.count(ad, 'all', minute, minute + MINUTE);
    await speed.upsertMinuteCounts([{ adId: ad, slice: 'all', minute: open, count: cell(open) + 3 }]);
    // Open minutes are reused within the freshness budget only.
    expect([base, base + 3]).toContain((await view.count(ad, 'all', from, to)).count);
    c.advance(config.serving.liveCacheMs);
    expect((await view.count(ad, 'all', from, to)).count).toBe(base + 3);
    await speed.upsertMinuteCounts([{ adId: ad, slice: 'all', minute: closed, count: cell(closed) + 100 }]);
    expect((await view.count(ad, 'all', from, to)).count).toBe(base + 3);
    c.advance(SPEED_CACHE_TTL_MS);
    expect((await view.count(ad, 'all', from, to)).count).toBe(base + 103);
  });
});
