import { type Client, concurrent, types } from 'cassandra-driver';
import type { TopList } from '../../shared/aggregate-store/types.ts';
import { dayOf } from '../../shared/aggregation/time.ts';
import { entriesOf, topN } from '../../shared/aggregation/top-n.ts';
import { mapLimit } from '../../shared/async/map-limit.ts';
import { translateCassandraError } from '../../shared/cassandra/errors.ts';
import type { GlobalTopLists, PartitionTopList } from './types.ts';

const Q = {
  upsertLocal:
    'INSERT INTO speed_partition_top_ads (window_minutes, slice, end_minute, partition, ad_ids, counts) VALUES (?, ?, ?, ?, ?, ?)',
  readLocal:
    'SELECT ad_ids, counts, WRITETIME(ad_ids) AS written FROM speed_partition_top_ads WHERE window_minutes = ? AND slice = ? AND end_minute = ?',
  upsertGlobal:
    'INSERT INTO speed_top_ads (window_minutes, slice, day, end_minute, ad_ids, counts, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) USING TIMESTAMP ?',
} as const;

/** Statements in flight at once (as the speed view store). */
const CONCURRENCY = 64;

/**
 * The reduce node's global step across speed processes: each process writes the local top lists
 * of the partitions it holds (`speed_partition_top_ads`, migration 011), then for every window
 * end it touched reads the lists of all partitions and writes their top-N into `speed_top_ads`.
 *
 * Two processes may merge the same end at once, each having seen a different set of rows. The
 * global row is written with Cassandra timestamp = newest writetime among the rows merged + 1, so
 * the merge that saw the newest rows wins regardless of arrival order; the process whose own
 * local write was the last one reads after it, so the winning merge is always complete.
 */
export class CassandraGlobalTopLists implements GlobalTopLists {
  readonly #client: Client;
  readonly #n: number;

  /** @param n length of the global lists (config `aggregation.topN`). */
  constructor(client: Client, n: number) {
    this.#client = client;
    this.#n = n;
  }

  async publish(lists: readonly PartitionTopList[]): Promise<TopList[]> {
    if (lists.length === 0) return [];
    const keys = new Map<string, { windowMinutes: number; slice: string; endMinute: number }>();
    const local = lists.map((l) => {
      keys.set(`${l.windowMinutes}|${l.slice}|${l.endMinute}`, l);
      return [
        l.windowMinutes,
        l.slice,
        new Date(l.endMinute),
        l.partition,
        l.ads.map((a) => a.adId),
        l.ads.map((a) => types.Long.fromNumber(a.count)),
      ];
    });
    try {
      await concurrent.executeConcurrent(this.#client, Q.upsertLocal, local, {
        concurrencyLevel: CONCURRENCY,
      });
      const merged = await mapLimit([...keys.values()], CONCURRENCY, (k) => this.#merge(k));
      const now = new Date();
      await concurrent.executeConcurrent(
        this.#client,
        merged.map(({ list, written }) => ({
          query: Q.upsertGlobal,
          params: [
            list.windowMinutes,
            list.slice,
            new Date(dayOf(list.endMinute)),
            new Date(list.endMinute),
            list.ads.map((a) => a.adId),
            list.ads.map((a) => types.Long.fromNumber(a.count)),
            now,
            written.add(1),
          ],
        })),
        { concurrencyLevel: CONCURRENCY },
      );
      return merged.map((m) => m.list);
    } catch (error) {
      throw translateCassandraError(error, { operation: 'merge of partition top lists' });
    }
  }

  async #merge(key: {
    windowMinutes: number;
    slice: string;
    endMinute: number;
  }): Promise<{ list: TopList; written: types.Long }> {
    const rs = await this.#client.execute(
      Q.readLocal,
      [key.windowMinutes, key.slice, new Date(key.endMinute)],
      {
        prepare: true,
      },
    );
    // Summed by ad, so an ad whose clicks sit in two partitions (a producer not keying by ad_id)
    // is at least whole where both partitions list it.
    const totals = new Map<string, number>();
    let written = types.Long.ZERO;
    for (const row of rs.rows) {
      const ids = (row.ad_ids as string[] | null) ?? [];
      const counts = (row.counts as types.Long[] | null) ?? [];
      for (const [i, adId] of ids.entries()) totals.set(adId, (totals.get(adId) ?? 0) + Number(counts[i]));
      const w = row.written as types.Long | null;
      if (w?.greaterThan(written)) written = w;
    }
    return {
      list: {
        windowMinutes: key.windowMinutes,
        slice: key.slice,
        endMinute: key.endMinute,
        ads: topN(entriesOf(totals), this.#n),
      },
      written,
    };
  }
}
