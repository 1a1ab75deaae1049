import { type Client, types } from 'cassandra-driver';
import { HOUR_MS, hourOf } from '../aggregation/time.ts';
import { mapLimit } from '../async/map-limit.ts';
import { translateCassandraError } from '../cassandra/errors.ts';
import type { BatchViewStore, MinuteCount, TopList } from './types.ts';

/**
 * Reads one ad's cells from several hour partitions at once (one prepared `query` per entry of
 * `paramsPerHour`, each selecting `minute, count`), in minute order.
 */
export async function readMinuteCells(
  client: Client,
  query: string,
  paramsPerHour: readonly unknown[][],
  cell: { adId: string; slice: string },
  operation: string,
): Promise<MinuteCount[]> {
  try {
    const pages = await Promise.all(
      paramsPerHour.map(async (params) => {
        const rs = await client.execute(query, params, { prepare: true });
        return rs.rows.map((r) => ({
          ...cell,
          minute: (r.minute as Date).getTime(),
          count: Number(r.count),
        }));
      }),
    );
    return pages.flat().sort((a, b) => a.minute - b.minute);
  } catch (error) {
    throw translateCassandraError(error, { operation });
  }
}

/** A stored top list from its row (`ad_ids`, `counts` lists), or `undefined` when there is none. */
export function topListOfRow(
  row: types.Row | null,
  key: { windowMinutes: number; slice: string; endMinute: number },
): TopList | undefined {
  if (row === null) return undefined;
  const ids = (row.ad_ids as string[] | null) ?? [];
  const counts = (row.counts as types.Long[] | null) ?? [];
  return { ...key, ads: ids.map((adId, i) => ({ adId, count: Number(counts[i]) })) };
}

const MINUTE_CELLS = {
  speedSlices: 'SELECT slice FROM speed_minute_slices WHERE minute = ?',
  speed: 'SELECT ad_id, count FROM speed_slice_minute_counts WHERE slice = ? AND minute = ?',
  batch:
    'SELECT slice, ad_id, count FROM batch_slice_minute_counts WHERE minute = ? AND version = ? ALLOW FILTERING',
} as const;

/** Slices of the speed view read at once by `speedMinuteCells`. */
const SLICE_READS = 8;

/**
 * Every cell of one minute across all slices of the speed view: the minute's slices from
 * `speed_minute_slices` (migration 032), then each slice's partition.
 */
export async function speedMinuteCells(client: Client, minute: number): Promise<MinuteCount[]> {
  const at = new Date(minute);
  let slices: string[];
  try {
    const rs = await client.execute(MINUTE_CELLS.speedSlices, [at], { prepare: true, fetchSize: 5000 });
    slices = [];
    for await (const row of rs) slices.push(row.slice as string);
  } catch (error) {
    throw translateCassandraError(error, { operation: 'read of a speed minute' });
  }
  const parts = await mapLimit(slices, SLICE_READS, async (slice) => {
    const out: MinuteCount[] = [];
    try {
      const rs = await client.execute(MINUTE_CELLS.speed, [slice, at], { prepare: true, fetchSize: 5000 });
      // Async iteration fetches the following pages of a large minute transparently.
      for await (const row of rs)
        out.push({ adId: row.ad_id as string, slice, minute, count: Number(row.count) });
    } catch (error) {
      throw translateCassandraError(error, { operation: 'read of a speed minute' });
    }
    return out;
  });
  return parts.flat();
}

/**
 * Every cell of one minute across all slices of the batch view, from the hour version that is
 * published (none when the hour is not), like every other batch read.
 */
export async function batchMinuteCells(
  client: Client,
  store: Pick<BatchViewStore, 'publishedHours'>,
  minute: number,
): Promise<MinuteCount[]> {
  const hour = hourOf(minute);
  const published = (await store.publishedHours(hour, hour + HOUR_MS)).find((p) => p.hour === hour);
  if (published === undefined) return [];
  const params = [new Date(minute), types.Long.fromNumber(published.version)];
  return readAcrossSlices(client, MINUTE_CELLS.batch, params, minute, 'read of a batch minute');
}

async function readAcrossSlices(
  client: Client,
  query: string,
  params: unknown[],
  minute: number,
  operation: string,
): Promise<MinuteCount[]> {
  const out: MinuteCount[] = [];
  try {
    const result = await client.execute(query, params, { prepare: true, fetchSize: 5000 });
    // Async iteration fetches the following pages of a large minute transparently.
    for await (const row of result)
      out.push({ adId: row.ad_id as string, slice: row.slice as string, minute, count: Number(row.count) });
  } catch (error) {
    throw translateCassandraError(error, { operation });
  }
  return out;
}
