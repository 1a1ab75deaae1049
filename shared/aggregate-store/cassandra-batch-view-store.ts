import { type Client, types } from 'cassandra-driver';
import { DAY_MS, dayOf, HOUR_MS, hourOf, MINUTE_MS } from '../aggregation/time.ts';
import type { AdCount } from '../aggregation/top-n.ts';
import { mapLimit } from '../async/map-limit.ts';
import { connectCassandraClient } from '../cassandra/client.ts';
import { translateCassandraError } from '../cassandra/errors.ts';
import { cassandraOptionsFrom } from '../cassandra/options.ts';
import { writeConcurrently } from '../cassandra/write-concurrently.ts';
import type { AdclickConfig } from '../config/types.ts';
import { AdclickError, ErrorCodes, requireWholeNumber } from '../errors/errors.ts';
import type { Logger } from '../logger/logger.ts';
import { purgeSupersededBatchVersions } from './batch-version-purge.ts';
import { batchMinuteCells, readMinuteCells, topListOfRow } from './read-minute-cells.ts';
import type { BatchViewStore, HourCells, MinuteCount, PublishedHour, TopList } from './types.ts';

const Q = {
  writeCell:
    'INSERT INTO batch_minute_counts (ad_id, slice, hour, version, minute, count) VALUES (?, ?, ?, ?, ?, ?)',
  writeSliceCell:
    'INSERT INTO batch_slice_minute_counts (slice, minute, version, ad_id, count) VALUES (?, ?, ?, ?, ?)',
  writeTop:
    'INSERT INTO batch_top_ads (window_minutes, slice, hour, version, end_minute, ad_ids, counts) VALUES (?, ?, ?, ?, ?, ?, ?)',
  publish: 'INSERT INTO batch_hours (day, hour, version, clicks, computed_at) VALUES (?, ?, ?, ?, ?)',
  hours:
    'SELECT hour, version, clicks, computed_at FROM batch_hours WHERE day = ? AND hour >= ? AND hour < ?',
  readCells:
    'SELECT minute, count FROM batch_minute_counts WHERE ad_id = ? AND slice = ? AND hour = ? AND version = ? AND minute >= ? AND minute < ?',
  readSlice:
    'SELECT ad_id, count FROM batch_slice_minute_counts WHERE slice = ? AND minute = ? AND version = ?',
  readTop:
    'SELECT ad_ids, counts FROM batch_top_ads WHERE window_minutes = ? AND slice = ? AND hour = ? AND version = ? AND end_minute = ?',
  recordVersion:
    'INSERT INTO batch_hour_versions (hour, version, slices, windows, written_at) VALUES (?, ?, ?, ?, ?)',
  markPublished: 'UPDATE batch_hour_versions SET published_at = ? WHERE hour = ? AND version = ?',
  watermark: "SELECT until FROM batch_watermark WHERE id = 'global'",
  setWatermark: "INSERT INTO batch_watermark (id, until, updated_at) VALUES ('global', ?, ?)",
} as const;

/** Rows per unlogged batch: well under Cassandra's 5 KB batch-size warning for these small rows. */
const BATCH_ROWS = 40;
/** Cells per batch read from a lazy `HourCells` (bounds the statement parameters held at once). */
const CELL_BATCH = 200_000;
/** Batches in flight at once. */
const BATCH_CONCURRENCY = 16;
/** Single-row statements in flight at once (beside the batches). */
const SINGLE_CONCURRENCY = 64;

export interface CassandraBatchViewStoreOptions {
  /**
   * How long a looked-up hour → version pointer is reused by reads (default 0: every read looks it
   * up, so a publish is visible to the very next read). A few seconds spare the API a round trip.
   */
  versionCacheMs?: number;
}

/**
 * The batch view in Cassandra (tables `batch_*` of migration 001). An hour's rows are written under
 * a new version, then `publishHour` flips the hour's pointer in `batch_hours`; every read first
 * looks up the published version of the hour it touches and reads rows of exactly that version,
 * so a reader sees the old hour or the new one, never a mix, and an unpublished hour reads empty.
 */
export class CassandraBatchViewStore implements BatchViewStore {
  readonly #config: AdclickConfig;
  readonly #logger: Logger;
  readonly #cacheMs: number;
  readonly #cache = new Map<number, { version: number | undefined; at: number }>();
  #client: Client | undefined;

  constructor(config: AdclickConfig, logger: Logger, options: CassandraBatchViewStoreOptions = {}) {
    this.#config = config;
    this.#logger = logger.child({ component: 'cassandra-batch-view' });
    this.#cacheMs = options.versionCacheMs ?? 0;
    requireWholeNumber('batchView.versionCacheMs', this.#cacheMs);
  }

  async start(): Promise<void> {
    this.#client ??= await connectCassandraClient(
      cassandraOptionsFrom(this.#config, { applicationName: 'adclick-batch-view' }),
      this.#logger,
    );
  }

  async close(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    this.#cache.clear();
    await client?.shutdown();
  }

  isReady(): boolean {
    return this.#client !== undefined && this.#client.getState().getConnectedHosts().length > 0;
  }

  async watermark(): Promise<number | undefined> {
    try {
      const row = (await this.#started().execute(Q.watermark, [], { prepare: true })).first();
      const until = row?.until as Date | null | undefined;
      return until == null ? undefined : until.getTime();
    } catch (error) {
      throw translateCassandraError(error, { operation: 'read of the batch watermark' });
    }
  }

  async setWatermark(until: number): Promise<void> {
    try {
      await this.#started().execute(Q.setWatermark, [new Date(until), new Date()], { prepare: true });
    } catch (error) {
      throw translateCassandraError(error, { operation: 'write of the batch watermark' });
    }
  }

  async writeHourVersion(
    hour: number,
    version: number,
    cells: readonly MinuteCount[] | HourCells,
    topLists: readonly TopList[],
  ): Promise<void> {
    assertHour(hour);
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
      await this.#started().execute(Q.recordVersion, [hourDate, v, [...slices], [...windows], new Date()], {
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
      await this.#writePartitionBatches(
        Q.writeSliceCell,
        sliceParams,
        3,
        'write of batch slice minute counts',
      );
      await this.#writePartitionBatches(Q.writeCell, cellParams, 3, 'write of batch minute counts');
    }
    await this.#writePartitionBatches(Q.writeTop, topParams, 4, 'write of batch top lists');
  }

  /**
   * Writes rows grouped by partition key (the first `keyColumns` values of each row), as unlogged
   * batches of one partition each — one mutation per batch for the replica, so no coordinator
   * fan-out — several in flight at once. Partitions with a single row go as plain statements.
   * Rows of one table and hour are absolute values, so a retried batch converges.
   */
  async #writePartitionBatches(
    query: string,
    rows: readonly unknown[][],
    keyColumns: number,
    operation: string,
  ): Promise<void> {
    if (rows.length === 0) return;
    const client = this.#started();
    const partitions = new Map<string, unknown[][]>();
    for (const row of rows) {
      const key = row
        .slice(0, keyColumns)
        .map((v) => (v instanceof Date ? v.getTime() : String(v)))
        .join('\u0000');
      const rowsOfKey = partitions.get(key);
      if (rowsOfKey === undefined) partitions.set(key, [row]);
      else rowsOfKey.push(row);
    }
    const singles: unknown[][] = [];
    const batches: unknown[][][] = [];
    for (const rowsOfKey of partitions.values()) {
      if (rowsOfKey.length === 1) singles.push(rowsOfKey[0]!);
      else
        for (let i = 0; i < rowsOfKey.length; i += BATCH_ROWS)
          batches.push(rowsOfKey.slice(i, i + BATCH_ROWS));
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

  async publishHour(hour: number, version: number, clicks: number): Promise<void> {
    assertHour(hour);
    try {
      // Marked before the flip: a crash between the two must not leave a version readers may have
      // seen looking never-published (the purge would not wait for readers of it then).
      await this.#started().execute(
        Q.markPublished,
        [new Date(), new Date(hour), types.Long.fromNumber(version)],
        { prepare: true },
      );
      await this.#started().execute(
        Q.publish,
        [
          new Date(dayOf(hour)),
          new Date(hour),
          types.Long.fromNumber(version),
          types.Long.fromNumber(clicks),
          new Date(),
        ],
        { prepare: true },
      );
    } catch (error) {
      throw translateCassandraError(error, { operation: 'publish of a batch hour' });
    }
    this.#cache.set(hour, { version, at: Date.now() });
  }

  /**
   * Deletes the rows of the hour's superseded versions, keeping the published one and the one it
   * replaced: a reader that looked up the old pointer a moment ago still finds its rows. Older
   * versions go only once the previous version has been published for `graceMs` (so also longer
   * than any reader has held a pointer to them), and versions that were never published once
   * they were written `graceMs` ago. Returns the versions deleted; what is not yet due stays for
   * the next call. Each version's record is deleted last, so an interrupted purge is redone.
   */
  async purgeSupersededVersions(hour: number, graceMs = 60_000): Promise<number[]> {
    assertHour(hour);
    const client = this.#started();
    const current = (await this.publishedHours(hour, hour + HOUR_MS))[0]?.version;
    if (current === undefined) return [];
    const purged = await purgeSupersededBatchVersions(client, hour, current, graceMs);
    if (purged.length > 0) this.#logger.debug({ hour, versions: purged }, 'purged batch versions');
    return purged;
  }

  async publishedHours(fromHour: number, toHour: number): Promise<PublishedHour[]> {
    const client = this.#started();
    const reads: Array<Promise<PublishedHour[]>> = [];
    for (let day = dayOf(fromHour); day < toHour; day += DAY_MS) {
      reads.push(
        client
          .execute(Q.hours, [new Date(day), new Date(fromHour), new Date(toHour)], { prepare: true })
          .then((rs) =>
            rs.rows.map((r) => ({
              hour: (r.hour as Date).getTime(),
              version: Number(r.version),
              clicks: Number(r.clicks),
              computedAt: (r.computed_at as Date | null)?.getTime() ?? 0,
            })),
          ),
      );
    }
    try {
      return (await Promise.all(reads)).flat();
    } catch (error) {
      throw translateCassandraError(error, { operation: 'read of published batch hours' });
    }
  }

  async minuteCounts(
    adId: string,
    slice: string,
    fromMinute: number,
    toMinute: number,
  ): Promise<MinuteCount[]> {
    if (toMinute <= fromMinute) return [];
    const client = this.#started();
    const versions = await this.#versions(hourOf(fromMinute), toMinute);
    const params = [...versions].map(([hour, version]) => [
      adId,
      slice,
      new Date(hour),
      types.Long.fromNumber(version),
      new Date(fromMinute),
      new Date(toMinute),
    ]);
    return readMinuteCells(client, Q.readCells, params, { adId, slice }, 'read of batch minute counts');
  }

  async sliceMinute(slice: string, minute: number): Promise<AdCount[]> {
    const version = (await this.#versions(hourOf(minute), hourOf(minute) + HOUR_MS)).get(hourOf(minute));
    if (version === undefined) return [];
    const out: AdCount[] = [];
    try {
      const result = await this.#started().execute(
        Q.readSlice,
        [slice, new Date(minute), types.Long.fromNumber(version)],
        { prepare: true, fetchSize: 5000 },
      );
      // Async iteration fetches the following pages of a large minute transparently.
      for await (const row of result) out.push({ adId: row.ad_id as string, count: Number(row.count) });
    } catch (error) {
      throw translateCassandraError(error, { operation: 'read of a batch slice minute' });
    }
    return out;
  }

  async topList(windowMinutes: number, slice: string, endMinute: number): Promise<TopList | undefined> {
    const hour = topHourOf(endMinute);
    const version = (await this.#versions(hour, hour + HOUR_MS)).get(hour);
    if (version === undefined) return undefined;
    try {
      const row = (
        await this.#started().execute(
          Q.readTop,
          [windowMinutes, slice, new Date(hour), types.Long.fromNumber(version), new Date(endMinute)],
          { prepare: true },
        )
      ).first();
      return topListOfRow(row, { windowMinutes, slice, endMinute });
    } catch (error) {
      throw translateCassandraError(error, { operation: 'read of a batch top list' });
    }
  }

  minuteCells(minute: number): Promise<MinuteCount[]> {
    return batchMinuteCells(this.#started(), this, minute);
  }

  /** Published version of every hour in `[fromHour, toHour)` that has one. */
  async #versions(fromHour: number, toHour: number): Promise<Map<number, number>> {
    const out = new Map<number, number>();
    const now = Date.now();
    let allCached = this.#cacheMs > 0;
    for (let h = fromHour; allCached && h < toHour; h += HOUR_MS) {
      const hit = this.#cache.get(h);
      if (hit === undefined || now - hit.at > this.#cacheMs) allCached = false;
      else if (hit.version !== undefined) out.set(h, hit.version);
    }
    if (allCached) return out;
    out.clear();
    for (const p of await this.publishedHours(fromHour, toHour)) out.set(p.hour, p.version);
    if (this.#cacheMs > 0) {
      for (let h = fromHour; h < toHour; h += HOUR_MS) this.#cache.set(h, { version: out.get(h), at: now });
    }
    return out;
  }

  #started(): Client {
    if (this.#client === undefined)
      throw new AdclickError(ErrorCodes.NOT_STARTED, 'CassandraBatchViewStore used before start()');
    return this.#client;
  }
}

/** The hour whose recompute owns a window ending at `endMinute`: the hour of its last minute. */
function topHourOf(endMinute: number): number {
  return hourOf(endMinute - MINUTE_MS);
}

function isHourCells(cells: readonly MinuteCount[] | HourCells): cells is HourCells {
  return !Array.isArray(cells);
}

function assertHour(hour: number): void {
  if (!Number.isInteger(hour) || hourOf(hour) !== hour)
    throw new AdclickError(ErrorCodes.INTERNAL, `${hour} is not the start of an hour`);
}
