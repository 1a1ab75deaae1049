import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CassandraBatchViewStore } from '../../../shared/aggregate-store/cassandra-batch-view-store.ts';
import { HOUR_MS, MINUTE_MS } from '../../../shared/aggregation/time.ts';
import { createTestKeyspace, type TestKeyspace } from '../../../shared/cassandra/testing.ts';
import type { AdclickConfig } from '../../../shared/config/types.ts';
import { AdclickError } from '../../../shared/errors/errors.ts';
import { silentLogger } from '../../../shared/logger/logger.ts';
import { requireCassandra, testConfig } from '../../helpers/services.ts';

/** 23:00 UTC, so the hour after it is on the next day's `batch_hours` partition. */
const H = Date.UTC(2026, 2, 1, 23);

describe('CassandraBatchViewStore', () => {
  let ks: TestKeyspace;
  let store: CassandraBatchViewStore;

  beforeAll(async () => {
    const base = testConfig();
    await requireCassandra(base);
    ks = await createTestKeyspace({ config: base, prefix: 'batch_view' });
    const config: AdclickConfig = { ...base, cassandra: { ...base.cassandra, keyspace: ks.keyspace } };
    store = new CassandraBatchViewStore(config, silentLogger());
    await store.start();
  });
  afterAll(async () => {
    await store?.close();
    await ks?.drop();
  });

  it('reads nothing of an hour until it is published, then exactly the published version', async () => {
    expect(store.isReady()).toBe(true);
    const cells = (n: number) => [
      { adId: 'a', slice: 'all', minute: H, count: n },
      { adId: 'a', slice: 'all', minute: H + 59 * MINUTE_MS, count: n + 1 },
      { adId: 'b', slice: 'country=US', minute: H, count: 2 },
    ];
    const top = (n: number) => [
      { windowMinutes: 60, slice: 'all', endMinute: H + HOUR_MS, ads: [{ adId: 'a', count: 2 * n + 1 }] },
    ];
    await store.writeHourVersion(H, 1, cells(5), top(5));
    expect(await store.minuteCounts('a', 'all', H, H + HOUR_MS)).toEqual([]);
    expect(await store.sliceMinute('all', H)).toEqual([]);
    expect(await store.topList(60, 'all', H + HOUR_MS)).toBeUndefined();

    await store.publishHour(H, 1, 13);
    expect(await store.minuteCounts('a', 'all', H, H + HOUR_MS)).toEqual([
      { adId: 'a', slice: 'all', minute: H, count: 5 },
      { adId: 'a', slice: 'all', minute: H + 59 * MINUTE_MS, count: 6 },
    ]);
    expect(await store.minuteCounts('a', 'all', H + MINUTE_MS, H + 59 * MINUTE_MS)).toEqual([]);
    expect(await store.sliceMinute('country=US', H)).toEqual([{ adId: 'b', count: 2 }]);
    // A window ending on the hour boundary belongs to the hour of its last minute.
    expect((await store.topList(60, 'all', H + HOUR_MS))?.ads).toEqual([{ adId: 'a', count: 11 }]);

    // A new version written but not yet published stays invisible; publishing flips every read.
    await store.writeHourVersion(H, 2, cells(7), top(7));
    expect((await store.sliceMinute('all', H)).map((a) => a.count)).toEqual([5]);
    await store.publishHour(H, 2, 17);
    expect((await store.sliceMinute('all', H)).map((a) => a.count)).toEqual([7]);
    expect((await store.topList(60, 'all', H + HOUR_MS))?.ads).toEqual([{ adId: 'a', count: 15 }]);
  });

  it('lists published hours across a day boundary and keeps the watermark', async () => {
    await store.writeHourVersion(
      H + HOUR_MS,
      3,
      [{ adId: 'c', slice: 'all', minute: H + HOUR_MS, count: 1 }],
      [],
    );
    await store.publishHour(H + HOUR_MS, 3, 1);
    const hours = await store.publishedHours(H - HOUR_MS, H + 2 * HOUR_MS);
    expect(hours.map((h) => [h.hour, h.version, h.clicks])).toEqual([
      [H, 2, 17],
      [H + HOUR_MS, 3, 1],
    ]);
    expect(await store.minuteCounts('c', 'all', H, H + 2 * HOUR_MS)).toEqual([
      { adId: 'c', slice: 'all', minute: H + HOUR_MS, count: 1 },
    ]);
    expect(await store.watermark()).toBeUndefined();
    await store.setWatermark(H + 2 * HOUR_MS);
    expect(await store.watermark()).toBe(H + 2 * HOUR_MS);
  });

  it('refuses cells outside the hour being written', async () => {
    await expect(
      store.writeHourVersion(H, 9, [{ adId: 'a', slice: 'all', minute: H + HOUR_MS, count: 1 }], []),
    ).rejects.toBeInstanceOf(AdclickError);
  });
});
