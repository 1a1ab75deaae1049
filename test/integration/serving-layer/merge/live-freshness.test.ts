import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cachedMergedView } from '../../../../serving-layer/serving-layer.ts';
import type {
  BatchViewStore,
  MinuteCount,
  SpeedViewStore,
} from '../../../../shared/aggregate-store/types.ts';
import { minuteOf } from '../../../../shared/aggregation/time.ts';
import { waitFor } from '../../../../shared/async/wait-for.ts';
import { createTestKeyspace, type TestKeyspace } from '../../../../shared/cassandra/testing.ts';
import type { ClickEvent } from '../../../../shared/click-event/types.ts';
import type { AdclickConfig } from '../../../../shared/config/types.ts';
import { recountSpeed } from '../../../helpers/recount.ts';
import { requireCassandra, testConfig } from '../../../helpers/services.ts';
import { expectedCount, expectedTop, MINUTE, type StreamFixture, streamFixture } from '../stream-fixture.ts';
import { cellsOf, configFor, openViews, seedSpeed } from '../views.ts';

/**
 * The query API's freshness budget (`API_LIVE_CACHE_MS`) over the real Cassandra speed view: a
 * click written to an open minute is answered within the budget, concurrent identical requests
 * share their reads, and every answer equals an independent recount of the clicks written so far.
 */
const BUDGET = 250;
const config: AdclickConfig = { ...testConfig(), serving: { liveCacheMs: BUDGET } };
const TOP_N = 100;
const START = Date.UTC(2026, 2, 12, 8, 0);
const NOW = START + 40 * MINUTE + 1000;
const OPEN = minuteOf(NOW);
const f: StreamFixture = streamFixture(START, 'live-', 13, 300, { clicks: 2460, clicksPerSecond: 1 });
/** The fixture's speed recount leaves out clicks later than this (stream-fixture.ts). */
const LATENESS_MS = 20_000;
const keyspaces: TestKeyspace[] = [];
const closers: Array<() => Promise<void>> = [];

/** The speed view seeded from the fixture's speed recount, beside an empty batch view. */
async function views(seed = true): Promise<{ speed: SpeedViewStore; batch: BatchViewStore }> {
  const ks = await createTestKeyspace({ config, prefix: 'livefresh' });
  keyspaces.push(ks);
  const v = await openViews(configFor(config, ks.keyspace));
  closers.push(v.close);
  if (seed) await seedSpeed(v.speed, f.speed, []);
  return v;
}

/** Counts the reads that reach the store: which method, from which minute. */
function counted(speed: SpeedViewStore) {
  const reads: string[] = [];
  const view = new Proxy(speed, {
    get(target, prop) {
      if (prop === 'sliceMinute')
        return (slice: string, minute: number) => {
          reads.push(`slice ${minute}`);
          return target.sliceMinute(slice, minute);
        };
      if (prop === 'minuteCounts')
        return (adId: string, slice: string, from: number, to: number) => {
          reads.push(`cells ${from}`);
          return target.minuteCounts(adId, slice, from, to);
        };
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { view, reads };
}

/** `n` clicks of `adId` in minute `minute`, as a producer would send them. */
function clicks(adId: string, minute: number, n: number, tag: string): ClickEvent[] {
  return Array.from({ length: n }, (_, i) => ({
    clickId: `${tag}-${i}`,
    adId,
    timestampMs: minute + 1000 + i,
    userId: `u-${tag}-${i}`,
    ip: '10.0.0.1',
    country: 'US',
  }));
}

beforeAll(async () => {
  await requireCassandra(config);
});

afterAll(async () => {
  for (const c of closers) await c().catch(() => undefined);
  for (const ks of keyspaces) await ks.drop();
});

describe('the freshness budget of open minutes against the real speed view', () => {
  it('a click written to the open minute is answered within the budget, exactly', async () => {
    const { speed, batch } = await views();
    let t = NOW;
    const view = cachedMergedView(config, { speed, batch }, { now: () => t });
    const input = f.records.map((r) => ({ partition: r.partition, event: r.event }));
    const ad = 'live-fresh-ad';
    const from = START;
    const to = OPEN + MINUTE;
    const answers = async () => ({
      count: (await view.count(ad, 'all', from, to)).count,
      us: (await view.count(ad, 'country=US', from, to)).count,
      top: (await view.popular('all', 60, to, TOP_N)).ads,
    });
    const expected = (events: typeof input) => {
      const r = { ...f, speed: recountSpeed(events, LATENESS_MS) };
      return {
        count: expectedCount(r, undefined, ad, 'all', from, to),
        us: expectedCount(r, undefined, ad, 'country=US', from, to),
        top: expectedTop(r, undefined, 60, 'all', to, TOP_N),
      };
    };
    const before = expected(input);
    expect(await answers()).toEqual(before);

    // The speed layer's flush: absolute counts of the open minute's cells with 500 new clicks.
    const more = [...input, ...clicks(ad, OPEN, 500, 'fresh').map((event) => ({ partition: 0, event }))];
    const after = expected(more);
    expect(after.top[0]).toEqual({ adId: ad, count: 500 });
    const written = recountSpeed(more, LATENESS_MS);
    await speed.upsertMinuteCounts(
      cellsOf(written).filter((c: MinuteCount) => c.minute === OPEN && c.adId === ad),
    );
    // Within the budget the previous answer may still be served: each one whole, never a mix.
    for (; t < NOW + BUDGET; t += 50) expect([before, after]).toContainEqual(await answers());
    t = NOW + BUDGET;
    expect(await answers()).toEqual(after);
  });

  it('concurrent identical requests share one read of each open minute', async () => {
    const { speed, batch } = await views();
    const { view: readsCounted, reads } = counted(speed);
    let t = NOW;
    const view = cachedMergedView(config, { speed: readsCounted, batch }, { now: () => t });
    const to = OPEN + MINUTE;
    const top = expectedTop(f, undefined, 15, 'all', to, TOP_N);
    // Warm the closed minutes first, so what is counted below is the open minutes' reads only.
    expect((await view.popular('all', 15, to, TOP_N)).ads).toEqual(top);
    await view.count('live-1', 'all', to - 5 * MINUTE, to);
    // Past the budget: the open minutes' reads are due again, the closed ones are still cached.
    t += BUDGET;
    reads.length = 0;
    const [answers] = await Promise.all([
      Promise.all(Array.from({ length: 16 }, () => view.popular('all', 15, to - MINUTE, TOP_N))),
      Promise.all(Array.from({ length: 16 }, () => view.count('live-1', 'all', to - 5 * MINUTE, to))),
    ]);
    for (const a of answers) expect(a.ads).toEqual(expectedTop(f, undefined, 15, 'all', to - MINUTE, TOP_N));
    const { allowedLatenessMs, idleTimeoutMs } = config.aggregation;
    const closedBefore = minuteOf(t - allowedLatenessMs - idleTimeoutMs - MINUTE);
    const open = reads.filter((r) => Number(r.split(' ')[1]) >= closedBefore).sort();
    // Each open minute of the window once, and the ad's open cells once, for 32 requests.
    const expectedReads = [`cells ${Math.max(to - 5 * MINUTE, closedBefore)}`];
    for (let m = closedBefore; m < to - MINUTE; m += MINUTE) expectedReads.push(`slice ${m}`);
    expect(expectedReads.length).toBeGreaterThan(1);
    expect(open).toEqual(expectedReads.sort());
  });

  it('with the real clock, a click in the current minute is visible within the budget', async () => {
    const { speed, batch } = await views(false);
    const view = cachedMergedView(config, { speed, batch });
    const minute = minuteOf(Date.now());
    const ad = `live-now-${minute}`;
    const count = async () => (await view.count(ad, 'all', minute - 5 * MINUTE, minute + 2 * MINUTE)).count;
    expect(await count()).toBe(0);
    await speed.upsertMinuteCounts([{ adId: ad, slice: 'all', minute, count: 3 }]);
    const written = performance.now();
    let lastRead = 0;
    await waitFor(
      async () => {
        const t0 = performance.now();
        const n = await count();
        lastRead = performance.now() - t0;
        return n === 3;
      },
      { timeoutMs: 10_000, intervalMs: 10, description: 'the new click in the count' },
    );
    const elapsed = performance.now() - written;
    // The budget, plus the read that saw it and the polling step, with room for a busy machine.
    expect(elapsed).toBeLessThan(BUDGET + lastRead + 10 + 250);
  });
});
