import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { CassandraSpeedViewStore } from '../../../../shared/aggregate-store/cassandra-speed-view-store.ts';
import type { MinuteCount } from '../../../../shared/aggregate-store/types.ts';
import { HOUR_MS, MINUTE_MS } from '../../../../shared/aggregation/time.ts';
import { createTestKeyspace } from '../../../../shared/cassandra/testing.ts';
import { silentLogger } from '../../../../shared/logger/logger.ts';
import { requireCassandra, testConfig } from '../../../helpers/services.ts';

const T0 = Date.UTC(2026, 0, 1, 23, 58);

async function openStore() {
  return (await openStoreWithClient()).store;
}

async function openStoreWithClient() {
  const config = testConfig();
  const ks = await createTestKeyspace({ config, prefix: 'speedview', registerCleanup: onTestFinished });
  const store = new CassandraSpeedViewStore(
    { ...config, cassandra: { ...config.cassandra, keyspace: ks.keyspace } },
    silentLogger(),
  );
  await store.start();
  onTestFinished(() => store.close());
  return { store, client: ks.client };
}

describe('CassandraSpeedViewStore', () => {
  beforeAll(() => requireCassandra());

  it('upserts absolute counts across hour and day partitions and reads a range back', async () => {
    const store = await openStore();
    expect(store.isReady()).toBe(true);
    const cells: MinuteCount[] = [0, 1, 2, 3, 4].map((i) => ({
      adId: 'ad-1',
      slice: 'all',
      minute: T0 + i * MINUTE_MS,
      count: i + 1,
    }));
    await store.upsertMinuteCounts(cells);
    // A replay writes the same absolute values again: nothing doubles.
    await store.upsertMinuteCounts(cells);
    const back = await store.minuteCounts('ad-1', 'all', T0 + MINUTE_MS, T0 + 4 * MINUTE_MS);
    expect(back.map((c) => [c.minute - T0, c.count])).toEqual([
      [MINUTE_MS, 2],
      [2 * MINUTE_MS, 3],
      [3 * MINUTE_MS, 4],
    ]);
    expect(await store.minuteCounts('ad-1', 'country=US', T0, T0 + HOUR_MS)).toEqual([]);
    expect(await store.minuteCounts('ad-unknown', 'all', T0, T0 + HOUR_MS)).toEqual([]);
  });

  it('answers minutes no partition has closed from the slice rows, closed ones from the per-ad rows', async () => {
    const store = await openStore();
    const cell = (i: number, count: number) => ({
      adId: 'ad-1',
      slice: 'all',
      minute: T0 + i * MINUTE_MS,
      count,
    });
    // Every cell changed (slice rows); minutes 0 and 1 closed by both partitions (per-ad rows, then
    // markers); 2 and 3 still open.
    await store.upsertCells({
      changed: [cell(0, 5), cell(1, 6), cell(2, 7), cell(3, 1)],
      closed: [cell(0, 5), cell(1, 6)],
    });
    await store.markMinutesClosed([
      { partition: 0, minute: T0 + MINUTE_MS, watermarkMs: T0 + 2 * MINUTE_MS + 10 },
      { partition: 1, minute: T0 + MINUTE_MS, watermarkMs: T0 + 2 * MINUTE_MS + 20 },
    ]);
    const read = async () =>
      (await store.minuteCounts('ad-1', 'all', T0, T0 + 10 * MINUTE_MS)).map((c) => [c.minute - T0, c.count]);
    const expected = [
      [0, 5],
      [MINUTE_MS, 6],
      [2 * MINUTE_MS, 7],
      [3 * MINUTE_MS, 1],
    ];
    expect(await read()).toEqual(expected);
    expect((await store.sliceMinute('all', T0 + 2 * MINUTE_MS)).map((a) => a.count)).toEqual([7]);
    // Partition 0 passes minute 2 and closes it: its per-ad row goes first, then the marker. Until
    // partition 1 passes it too, the minute is still read from the slice rows.
    await store.upsertCells({ changed: [cell(2, 8)], closed: [cell(2, 8)] });
    await store.markMinutesClosed([
      { partition: 0, minute: T0 + 2 * MINUTE_MS, watermarkMs: T0 + 3 * MINUTE_MS },
    ]);
    expected[2] = [2 * MINUTE_MS, 8];
    expect(await read()).toEqual(expected);
    // A range inside the closed minutes reads no open minute at all.
    expect(
      (await store.minuteCounts('ad-1', 'all', T0, T0 + 2 * MINUTE_MS)).map((c) => [c.minute - T0, c.count]),
    ).toEqual(expected.slice(0, 2));
  });

  it('lists every ad of a slice minute, across result pages', async () => {
    const store = await openStore();
    const cells = Array.from({ length: 6000 }, (_, i) => ({
      adId: `ad-${i}`,
      slice: 'country=KR',
      minute: T0,
      count: (i % 7) + 1,
    }));
    await store.upsertMinuteCounts(cells);
    const back = await store.sliceMinute('country=KR', T0);
    expect(back).toHaveLength(6000);
    const total = back.reduce((s, a) => s + a.count, 0);
    expect(total).toBe(cells.reduce((s, c) => s + c.count, 0));
    expect(await store.sliceMinute('country=KR', T0 + MINUTE_MS)).toEqual([]);
  });

  it('records closed minutes as one row per (minute, partition), across a day boundary', async () => {
    const { store, client } = await openStoreWithClient();
    const closed = [
      { partition: 0, minute: T0, watermarkMs: T0 + MINUTE_MS + 5 },
      { partition: 3, minute: T0, watermarkMs: T0 + MINUTE_MS + 9 },
      { partition: 0, minute: T0 + 2 * MINUTE_MS, watermarkMs: T0 + 3 * MINUTE_MS },
    ];
    await store.markMinutesClosed(closed);
    // Written again after a replay: the same rows.
    await store.markMinutesClosed(closed);
    const rows = async (day: number) =>
      (
        await client.execute('SELECT minute, partition, watermark FROM speed_closed_minutes WHERE day = ?', [
          new Date(day),
        ])
      ).rows.map((r) => [
        (r.minute as Date).getTime() - T0,
        r.partition,
        (r.watermark as Date).getTime() - T0,
      ]);
    const day0 = Date.UTC(2026, 0, 1);
    expect(await rows(day0)).toEqual([
      [0, 0, MINUTE_MS + 5],
      [0, 3, MINUTE_MS + 9],
    ]);
    expect(await rows(day0 + 86_400_000)).toEqual([[2 * MINUTE_MS, 0, 3 * MINUTE_MS]]);
  });

  it('stores top lists per window, slice and end minute, a rewrite replacing the list', async () => {
    const store = await openStore();
    const endMinute = T0 + 2 * MINUTE_MS; // the next UTC day: its own partition
    await store.upsertTopLists([
      {
        windowMinutes: 5,
        slice: 'all',
        endMinute,
        ads: [
          { adId: 'b', count: 9 },
          { adId: 'a', count: 3 },
        ],
      },
    ]);
    await store.upsertTopLists([
      { windowMinutes: 5, slice: 'all', endMinute, ads: [{ adId: 'a', count: 10 }] },
    ]);
    expect(await store.topList(5, 'all', endMinute)).toEqual({
      windowMinutes: 5,
      slice: 'all',
      endMinute,
      ads: [{ adId: 'a', count: 10 }],
    });
    expect(await store.topList(1, 'all', endMinute)).toBeUndefined();
  });
});
