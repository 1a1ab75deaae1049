import { type Client, types } from 'cassandra-driver';
import { HOUR_MS, MINUTE_MS } from '../aggregation/time.ts';
import { mapLimit } from '../async/map-limit.ts';
import { translateCassandraError } from '../cassandra/errors.ts';
import { writeConcurrently } from '../cassandra/write-concurrently.ts';

const Q = {
  versions:
    'SELECT version, slices, windows, written_at, published_at FROM batch_hour_versions WHERE hour = ?',
  sliceAds: 'SELECT ad_id FROM batch_slice_minute_counts WHERE slice = ? AND minute = ? AND version = ?',
  deleteCells: 'DELETE FROM batch_minute_counts WHERE ad_id = ? AND slice = ? AND hour = ? AND version = ?',
  deleteSlice: 'DELETE FROM batch_slice_minute_counts WHERE slice = ? AND minute = ? AND version = ?',
  deleteTop: 'DELETE FROM batch_top_ads WHERE window_minutes = ? AND slice = ? AND hour = ? AND version = ?',
  deleteVersion: 'DELETE FROM batch_hour_versions WHERE hour = ? AND version = ?',
} as const;

/** One row of `batch_hour_versions`. */
interface VersionRecord {
  version: number;
  slices: string[];
  windows: number[];
  writtenAt: number;
  publishedAt: number | undefined;
}

/**
 * Deletes the rows of an hour's superseded versions (see
 * `CassandraBatchViewStore.purgeSupersededVersions` for the rule), given the hour's published
 * `current` version. Returns the versions deleted.
 */
export async function purgeSupersededBatchVersions(
  client: Client,
  hour: number,
  current: number,
  graceMs: number,
): Promise<number[]> {
  let records: VersionRecord[];
  try {
    const rs = await client.execute(Q.versions, [new Date(hour)], { prepare: true });
    records = rs.rows.map((r) => ({
      version: Number(r.version),
      slices: (r.slices as string[] | null) ?? [],
      windows: (r.windows as number[] | null) ?? [],
      writtenAt: (r.written_at as Date | null)?.getTime() ?? 0,
      publishedAt: (r.published_at as Date | null)?.getTime(),
    }));
  } catch (error) {
    throw translateCassandraError(error, { operation: 'read of batch hour versions' });
  }
  const older = records.filter((r) => r.version < current);
  const previous = older.filter((r) => r.publishedAt !== undefined).sort((a, b) => b.version - a.version)[0];
  const due = Date.now() - graceMs;
  const purge = older.filter((r) =>
    r === previous
      ? false
      : r.publishedAt === undefined
        ? r.writtenAt <= due
        : previous?.publishedAt !== undefined && previous.publishedAt <= due,
  );
  for (const r of purge) await deleteVersion(client, hour, r);
  return purge.map((r) => r.version);
}

async function deleteVersion(client: Client, hour: number, record: VersionRecord): Promise<void> {
  const v = types.Long.fromNumber(record.version);
  const hourDate = new Date(hour);
  const sliceMinutes: unknown[][] = [];
  for (const slice of record.slices)
    for (let m = hour; m < hour + HOUR_MS; m += MINUTE_MS) sliceMinutes.push([slice, new Date(m), v]);
  // The slice partitions list every ad the version wrote a cell for: they lead to the cell rows.
  const cellKeys: unknown[][] = [];
  try {
    await mapLimit(sliceMinutes, 16, async ([slice, minute]) => {
      const rs = await client.execute(Q.sliceAds, [slice, minute, v], { prepare: true, fetchSize: 5000 });
      for await (const row of rs) cellKeys.push([row.ad_id as string, slice, hourDate, v]);
    });
  } catch (error) {
    throw translateCassandraError(error, { operation: 'read of a superseded batch version' });
  }
  await writeConcurrently(client, Q.deleteCells, cellKeys, 'delete of superseded batch minute counts');
  await writeConcurrently(client, Q.deleteSlice, sliceMinutes, 'delete of superseded batch slice minutes');
  const tops = record.windows.flatMap((w) => record.slices.map((slice) => [w, slice, hourDate, v]));
  await writeConcurrently(client, Q.deleteTop, tops, 'delete of superseded batch top lists');
  // The record goes last, so an interrupted purge is found and redone.
  await writeConcurrently(client, Q.deleteVersion, [[hourDate, v]], 'delete of a batch version record');
}
