import { type Client, types } from 'cassandra-driver';
import { hourOf, MINUTE_MS } from '../aggregation/time.ts';
import { mapLimit } from '../async/map-limit.ts';
import { translateCassandraError } from '../cassandra/errors.ts';
import { partitionChunks } from '../cassandra/partition-batches.ts';
import { writeConcurrently } from '../cassandra/write-concurrently.ts';
import { AdclickError, ErrorCodes } from '../errors/errors.ts';
import type { HourCells, MinuteCount, TopList } from './types.ts';

const Q = {
  writeCell:
    'INSERT INTO batch_minute_counts (ad_id, slice, hour, version, minute, count) VALUES (?, ?, ?, ?, ?, ?)',
  writeSliceCell:
    'INSERT INTO batch_slice_minute_counts (slice, minute, version, ad_id, count) VALUES (?, ?, ?, ?, ?)',
  writeTop:
    'INSERT INTO batch_top_ads (window_minutes, slice, hour, version, end_minute, ad_ids, counts) VALUES (?, ?, ?, ?, ?, ?, ?)',
  recordVersion:
    'INSERT INTO batch_hour_versions (hour, version, slices, windows, written_at) VALUES (?, ?, ?, ?, ?)',
} as const;

/** Rows per unlogged batch: well under Cassandra's 5 KB batch-size warning for these small rows. */
const BATCH_ROWS = 40;
/** Cells per batch read from a lazy `HourCells` (bounds the statement parameters held at once). */
const CELL_BATCH = 200_000;
/** Batches in flight at once. */
const BATCH_CONCURRENCY = 16;
/** Single-row statements in flight at once (beside the batches). */
const SINGLE_CONCURRENCY = 64;

/**
 * Writes one version of an hour of the batch view (`CassandraBatchViewStore.writeHourVersion`):
 * the version's record first, then the per-(slice, minute) rows, the per-ad rows and the top
 * lists, all under `version`, none visible to readers until the hour is published. `hour` must be
 * the start of an hour; every cell must lie in it.
 */
export async function writeBatchHourVersion(
  client: Client,
  hour: number,
  version: number,
  cells: readonly MinuteCount[] | HourCells,
  topLists: readonly TopList[],
): Promise<void> {
  const v = types.Long.fromNumber(version);
  const hourDate = new Date(hour);
  const batched = isHourCells(cells) ? cells : undefined;
  const topParams = topLists.map((l) => [
    l.windowMinutes,
    l.slice,
    new Date(topHourOf(l.endMinute)),
    v,
    new Date(l.endMinute),
    l.ads.map((a) => a.adId),
    l.ads.map((a) => types.Long.fromNumber(a.count)),
  ]);
  // The record comes first, so even a write that dies half-way can be found and deleted later.
  const cellSlices = batched?.slices ?? (cells as readonly MinuteCount[]).map((c) => c.slice);
  const slices = new Set([...cellSlices, ...topLists.map((l) => l.slice)]);
  const windows = new Set(topLists.map((l) => l.windowMinutes));
  try {
    await client.execute(Q.recordVersion, [hourDate, v, [...slices], [...windows], new Date()], {
      prepare: true,
    });
  } catch (error) {
    throw translateCassandraError(error, { operation: 'record of a batch hour version' });
  }
  // Large hours arrive in batches, so only one batch's statement parameters exist at a time.
  const batches = batched?.batches(CELL_BATCH) ?? [cells as readonly MinuteCount[]];
  for await (const batch of batches) {
    const cellParams: unknown[][] = [];
    const sliceParams: unknown[][] = [];
    for (const c of batch) {
      if (hourOf(c.minute) !== hour)
        throw new AdclickError(ErrorCodes.INTERNAL, `cell minute ${c.minute} is outside hour ${hour}`);
      const minute = new Date(c.minute);
      const count = types.Long.fromNumber(c.count);
      cellParams.push([c.adId, c.slice, hourDate, v, minute, count]);
      sliceParams.push([c.slice, minute, v, c.adId, count]);
    }
    // Slice rows first: few, large partitions, where batching pays most.
    await writePartitionBatches(
      client,
      Q.writeSliceCell,
      sliceParams,
      3,
      'write of batch slice minute counts',
    );
    await writePartitionBatches(client, Q.writeCell, cellParams, 3, 'write of batch minute counts');
  }
  await writePartitionBatches(client, Q.writeTop, topParams, 4, 'write of batch top lists');
}

/** The hour whose recompute owns a window ending at `endMinute`: the hour of its last minute. */
export function topHourOf(endMinute: number): number {
  return hourOf(endMinute - MINUTE_MS);
}

/**
 * Writes rows grouped by partition key (the first `keyColumns` values of each row), as unlogged
 * batches of one partition each — one mutation per batch for the replica, so no coordinator
 * fan-out — several in flight at once. Chunks of a single row go as plain statements.
 * Rows of one table and hour are absolute values, so a retried batch converges.
 */
async function writePartitionBatches(
  client: Client,
  query: string,
  rows: readonly unknown[][],
  keyColumns: number,
  operation: string,
): Promise<void> {
  if (rows.length === 0) return;
  const keyOf = (row: unknown[]) =>
    row
      .slice(0, keyColumns)
      .map((v) => (v instanceof Date ? v.getTime() : String(v)))
      .join('\u0000');
  const singles: unknown[][] = [];
  const batches: unknown[][][] = [];
  for (const chunk of partitionChunks(rows, keyOf, BATCH_ROWS)) {
    if (chunk.length === 1) singles.push(chunk[0]!);
    else batches.push(chunk);
  }
  try {
    await Promise.all([
      mapLimit(batches, BATCH_CONCURRENCY, (batch) =>
        client.batch(
          batch.map((params) => ({ query, params })),
          { prepare: true, logged: false },
        ),
      ),
      writeConcurrently(client, query, singles, operation, SINGLE_CONCURRENCY),
    ]);
  } catch (error) {
    throw translateCassandraError(error, { operation });
  }
}

function isHourCells(cells: readonly MinuteCount[] | HourCells): cells is HourCells {
  return !Array.isArray(cells);
}
