import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MinuteCount } from '../../../../shared/aggregate-store/types.ts';
import { createTestKeyspace, type TestKeyspace } from '../../../../shared/cassandra/testing.ts';
import { requireCassandra, testConfig } from '../../../helpers/services.ts';
import { HOUR, MINUTE, streamFixture } from '../stream-fixture.ts';
import { cellsOf, configFor, openViews, seedBatchHours, seedSpeed } from '../views.ts';

/**
 * `minuteCells` of both Cassandra views (the speed view's slice list of migration 032, the batch
 * view's index of 031): every cell of a minute across all slices, equal to the recount's cells of that minute; the batch view's only from the published
 * version of the hour.
 */
const config = testConfig();
const START = Date.UTC(2026, 2, 12, 8, 0);
const f = streamFixture(START, 'mc-', 13, 200, { clicks: 3000, clicksPerSecond: 1 });
let ks: TestKeyspace;
let views: Awaited<ReturnType<typeof openViews>>;

const sorted = (cells: readonly MinuteCount[]) =>
  [...cells].sort((a, b) =>
    a.slice === b.slice ? (a.adId < b.adId ? -1 : a.adId > b.adId ? 1 : 0) : a.slice < b.slice ? -1 : 1,
  );
const recountMinute = (recount: typeof f.all, minute: number) =>
  sorted(cellsOf(recount).filter((c) => c.minute === minute && c.count > 0));

beforeAll(async () => {
  await requireCassandra(config);
  ks = await createTestKeyspace({ config, prefix: 'mcells' });
  views = await openViews(configFor(config, ks.keyspace));
  await seedSpeed(views.speed, f.speed, []);
  // Version 1 holds the speed counts, version 2 (published last) every click.
  await seedBatchHours(views.batch, f.speed, [START], 1, []);
  await seedBatchHours(views.batch, f.all, [START], 2, []);
});

afterAll(async () => {
  await views?.close();
  await ks?.drop();
});

describe('minuteCells of the Cassandra views', () => {
  it('returns every slice of a minute, equal to the recount, and nothing for a minute without cells', async () => {
    let slicesSeen = 0;
    for (const minute of [START, START + 17 * MINUTE, START + 59 * MINUTE]) {
      const speed = await views.speed.minuteCells!(minute);
      expect(sorted(speed)).toEqual(recountMinute(f.speed, minute));
      slicesSeen = Math.max(slicesSeen, new Set(speed.map((c) => c.slice)).size);
    }
    expect(slicesSeen).toBeGreaterThan(3);
    expect(await views.speed.minuteCells!(START + 3 * HOUR)).toEqual([]);
  });

  it('reads the batch view from the published version only, and nothing of an unpublished hour', async () => {
    // A minute where the versions differ (late clicks), so reading version 1 would show.
    const minute = Array.from({ length: 60 }, (_, i) => START + i * MINUTE).find(
      (m) => JSON.stringify(recountMinute(f.all, m)) !== JSON.stringify(recountMinute(f.speed, m)),
    );
    expect(minute).toBeDefined();
    expect(sorted(await views.batch.minuteCells!(minute!))).toEqual(recountMinute(f.all, minute!));
    expect(await views.batch.minuteCells!(START + HOUR + 5 * MINUTE)).toEqual([]);
  });
});
