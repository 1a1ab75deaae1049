/**
 * Opens the real Cassandra speed and batch views in a test keyspace and seeds them from an
 * independent recount: the serving layer's tests check the merge, not the layers that write the
 * views (each layer's own exactness is tested with it).
 */
import { CassandraBatchViewStore } from '../../../shared/aggregate-store/cassandra-batch-view-store.ts';
import { CassandraSpeedViewStore } from '../../../shared/aggregate-store/cassandra-speed-view-store.ts';
import type {
  BatchViewStore,
  MinuteCount,
  SpeedViewStore,
  TopList,
} from '../../../shared/aggregate-store/types.ts';
import { HOUR_MS, hourOf, MINUTE_MS } from '../../../shared/aggregation/time.ts';
import type { AdclickConfig } from '../../../shared/config/types.ts';
import { silentLogger } from '../../../shared/logger/logger.ts';
import type { Recount } from '../../helpers/recount.ts';

/** The configuration pointed at a test keyspace. */
export function configFor(config: AdclickConfig, keyspace: string): AdclickConfig {
  return { ...config, cassandra: { ...config.cassandra, keyspace } };
}

/** Both views over the test keyspace, started; `close()` closes both. */
export async function openViews(config: AdclickConfig) {
  const speed: SpeedViewStore = new CassandraSpeedViewStore(config, silentLogger());
  const batch: BatchViewStore = new CassandraBatchViewStore(config, silentLogger());
  await speed.start();
  await batch.start();
  return { speed, batch, close: async () => void (await Promise.all([speed.close(), batch.close()])) };
}

/** Every cell of a recount as view rows. */
export function cellsOf(recount: Recount): MinuteCount[] {
  return [...recount.cells].map(([key, count]) => {
    const [adId, slice, minute] = key.split('|') as [string, string, string];
    return { adId, slice, minute: Number(minute), count };
  });
}

/** Stored top lists from a recount for the given (window, slice, end) keys. */
export function topListsOf(
  recount: Recount,
  keys: ReadonlyArray<{ windowMinutes: number; slice: string; endMinute: number }>,
  n: number,
): TopList[] {
  return keys.map((k) => ({
    ...k,
    ads: recount.top(k.windowMinutes, k.slice, k.endMinute, n),
  }));
}

/** Writes the speed view as the speed layer would have: every cell final, plus the given lists. */
export async function seedSpeed(speed: SpeedViewStore, recount: Recount, lists: TopList[]): Promise<void> {
  await speed.upsertMinuteCounts(cellsOf(recount));
  if (lists.length > 0) await speed.upsertTopLists(lists);
}

/**
 * Writes and publishes the given hours of the batch view from a recount under `version`; lists
 * go to the hour of their window's last minute.
 */
export async function seedBatchHours(
  batch: BatchViewStore,
  recount: Recount,
  hours: readonly number[],
  version: number,
  lists: TopList[],
): Promise<void> {
  const cells = cellsOf(recount);
  for (const hour of hours) {
    const inHour = cells.filter((c) => c.minute >= hour && c.minute < hour + HOUR_MS);
    const hourLists = lists.filter((l) => hourOf(l.endMinute - MINUTE_MS) === hour);
    await batch.writeHourVersion(hour, version, inHour, hourLists);
    const clicks = inHour.filter((c) => c.slice === 'all').reduce((s, c) => s + c.count, 0);
    await batch.publishHour(hour, version, clicks);
  }
}
