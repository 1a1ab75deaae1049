import type { Client } from 'cassandra-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CassandraBatchViewStore } from '../../../shared/aggregate-store/cassandra-batch-view-store.ts';
import type { MinuteCount, TopList } from '../../../shared/aggregate-store/types.ts';
import { HOUR_MS, MINUTE_MS } from '../../../shared/aggregation/time.ts';
import { createTestKeyspace, type TestKeyspace } from '../../../shared/cassandra/testing.ts';
import type { AdclickConfig } from '../../../shared/config/types.ts';
import { silentLogger } from '../../../shared/logger/logger.ts';
import { requireCassandra, testConfig } from '../../helpers/services.ts';

const H = Date.UTC(2026, 2, 2, 7);

/** One version's rows: `n` distinguishes versions; ad `only-<n>` exists in that version alone. */
function version(n: number): { cells: MinuteCount[]; tops: TopList[] } {
  const cells: MinuteCount[] = [
    { adId: 'a', slice: 'all', minute: H, count: n },
    { adId: 'a', slice: 'country=KR', minute: H + 5 * MINUTE_MS, count: n },
    { adId: `only-${n}`, slice: 'all', minute: H + 59 * MINUTE_MS, count: 1 },
  ];
  const tops: TopList[] = [
    { windowMinutes: 60, slice: 'all', endMinute: H + HOUR_MS, ads: [{ adId: 'a', count: n }] },
    { windowMinutes: 5, slice: 'country=KR', endMinute: H + 6 * MINUTE_MS, ads: [{ adId: 'a', count: n }] },
  ];
  return { cells, tops };
}

describe('CassandraBatchViewStore.purgeSupersededVersions', () => {
  let ks: TestKeyspace;
  let store: CassandraBatchViewStore;
  let client: Client;

  /** Rows of `version` left in each batch table, read directly (readers only see the published one). */
  async function rowsOf(v: number): Promise<number> {
    const q = async (cql: string, params: unknown[]) =>
      (await client.execute(cql, params, { prepare: true })).rowLength;
    const hour = new Date(H);
    let n = 0;
    for (const [adId, slice] of [
      ['a', 'all'],
      ['a', 'country=KR'],
      [`only-${v}`, 'all'],
    ])
      n += await q(
        'SELECT count FROM batch_minute_counts WHERE ad_id = ? AND slice = ? AND hour = ? AND version = ?',
        [adId, slice, hour, v],
      );
    for (const [slice, minute] of [
      ['all', H],
      ['country=KR', H + 5 * MINUTE_MS],
      ['all', H + 59 * MINUTE_MS],
    ])
      n += await q(
        'SELECT ad_id FROM batch_slice_minute_counts WHERE slice = ? AND minute = ? AND version = ?',
        [slice, new Date(minute as number), v],
      );
    n += await q(
      'SELECT end_minute FROM batch_top_ads WHERE window_minutes = 60 AND slice = ? AND hour = ? AND version = ?',
      ['all', hour, v],
    );
    n += await q(
      'SELECT end_minute FROM batch_top_ads WHERE window_minutes = 5 AND slice = ? AND hour = ? AND version = ?',
      ['country=KR', hour, v],
    );
    return n;
  }

  async function writeAndPublish(v: number): Promise<void> {
    const { cells, tops } = version(v);
    await store.writeHourVersion(H, v, cells, tops);
    await store.publishHour(H, v, v + 1);
  }

  beforeAll(async () => {
    const base = testConfig();
    await requireCassandra(base);
    ks = await createTestKeyspace({ config: base, prefix: 'batch_purge' });
    const config: AdclickConfig = { ...base, cassandra: { ...base.cassandra, keyspace: ks.keyspace } };
    store = new CassandraBatchViewStore(config, silentLogger());
    await store.start();
    client = ks.client;
  });
  afterAll(async () => {
    await store?.close();
    await ks?.drop();
  });

  it('keeps the published and the previous version, and deletes older ones once the grace has passed', async () => {
    await writeAndPublish(1);
    await writeAndPublish(2);
    // A reader resolves the pointer to version 2 …
    const resolved = (await store.publishedHours(H, H + HOUR_MS))[0]?.version;
    expect(resolved).toBe(2);
    await writeAndPublish(3);
    // … a crashed recompute left half a version behind (written, never published).
    await store.writeHourVersion(H, 4, version(4).cells.slice(0, 2), []);
    for (const v of [1, 2, 3]) expect(await rowsOf(v)).toBe(8);

    // Within the grace period nothing goes.
    expect(await store.purgeSupersededVersions(H, 60_000)).toEqual([]);
    expect(await rowsOf(1)).toBe(8);

    // Past it: version 1 goes; 2 (what the reader resolved) and 3 (published) stay, whole.
    expect(await store.purgeSupersededVersions(H, 0)).toEqual([1]);
    expect(await rowsOf(1)).toBe(0);
    expect(await rowsOf(2)).toBe(8);
    expect(await rowsOf(3)).toBe(8);
    expect((await store.topList(60, 'all', H + HOUR_MS))?.ads).toEqual([{ adId: 'a', count: 3 }]);
    expect(await store.minuteCounts('only-3', 'all', H, H + HOUR_MS)).toHaveLength(1);

    // Version 5 published: 2 goes, 3 is now the previous one, the orphan 4 goes too.
    await writeAndPublish(5);
    expect((await store.purgeSupersededVersions(H, 0)).sort()).toEqual([2, 4]);
    expect(await rowsOf(2)).toBe(0);
    expect(await rowsOf(3)).toBe(8);
    expect(await rowsOf(5)).toBe(8);
    expect(await store.sliceMinute('all', H)).toEqual([{ adId: 'a', count: 5 }]);
    const left = await client.execute(
      'SELECT version FROM batch_hour_versions WHERE hour = ?',
      [new Date(H)],
      {
        prepare: true,
      },
    );
    expect(left.rows.map((r) => Number(r.version))).toEqual([5, 3]);
  });
});
