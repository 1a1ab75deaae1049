import { type Client, types } from 'cassandra-driver';
import { DAY_MS, dayOf, HOUR_MS, hourOf } from '../aggregation/time.ts';
import type { AdCount } from '../aggregation/top-n.ts';
import { connectCassandraClient } from '../cassandra/client.ts';
import { translateCassandraError } from '../cassandra/errors.ts';
import { cassandraOptionsFrom } from '../cassandra/options.ts';
import type { AdclickConfig } from '../config/types.ts';
import { AdclickError, ErrorCodes, requireWholeNumber } from '../errors/errors.ts';
import type { Logger } from '../logger/logger.ts';
import { topHourOf, writeBatchHourVersion } from './batch-hour-writer.ts';
import { purgeSupersededBatchVersions } from './batch-version-purge.ts';
import { batchMinuteCells, readMinuteCells, topListOfRow } from './read-minute-cells.ts';
import type { BatchViewStore, HourCells, MinuteCount, PublishedHour, TopList } from './types.ts';

const Q = {
  publish: 'INSERT INTO batch_hours (day, hour, version, clicks, computed_at) VALUES (?, ?, ?, ?, ?)',
  hours:
    'SELECT hour, version, clicks, computed_at FROM batch_hours WHERE day = ? AND hour >= ? AND hour < ?',
  readCells:
    'SELECT minute, count FROM batch_minute_counts WHERE ad_id = ? AND slice = ? AND hour = ? AND version = ? AND minute >= ? AND minute < ?',
  readSlice:
    'SELECT ad_id, count FROM batch_slice_minute_counts WHERE slice = ? AND minute = ? AND version = ?',
  readTop:
    'SELECT ad_ids, counts FROM batch_top_ads WHERE window_minutes = ? AND slice = ? AND hour = ? AND version = ? AND end_minute = ?',
  markPublished: 'UPDATE batch_hour_versions SET published_at = ? WHERE hour = ? AND version = ?',
  watermark: "SELECT until FROM batch_watermark WHERE id = 'global'",
  setWatermark: "INSERT INTO batch_watermark (id, until, updated_at) VALUES ('global', ?, ?)",
} as const;

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
    await writeBatchHourVersion(this.#started(), hour, version, cells, topLists);
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

function assertHour(hour: number): void {
  if (!Number.isInteger(hour) || hourOf(hour) !== hour)
    throw new AdclickError(ErrorCodes.INTERNAL, `${hour} is not the start of an hour`);
}
