import type { MinuteCount, TopList } from '../../shared/aggregate-store/types.ts';
import { HOUR_MS } from '../../shared/aggregation/time.ts';
import { closeDuckDb, type DuckDbSession, duckDbError, openDuckDb } from '../duckdb/duckdb.ts';
import {
  cellsSql,
  clicksSql,
  copyAggMinuteSql,
  copyAggTopSql,
  hourCellsQuery,
  topsSql,
} from './recompute-sql.ts';
import type { HourAggregates, HourComputeInput, RecomputeEngine } from './types.ts';

export interface DuckDbRecomputeEngineOptions {
  /** DuckDB worker threads (default: one per core). */
  threads?: number;
  /** DuckDB memory limit, e.g. `4GB` (default: DuckDB's, 80% of RAM). */
  memoryLimit?: string;
}

/**
 * Recomputes an hour with DuckDB over local Parquet files (no httpfs: the caller stages the
 * objects). One engine runs one hour at a time; a worker process holds one engine per concurrent job.
 */
export class DuckDbRecomputeEngine implements RecomputeEngine {
  private session: Promise<DuckDbSession> | undefined;
  private busy = false;

  constructor(private readonly options: DuckDbRecomputeEngineOptions = {}) {}

  async compute(input: HourComputeInput): Promise<HourAggregates> {
    if (this.busy) throw duckDbError(new Error('engine already computing an hour'), 'recomputing');
    this.busy = true;
    try {
      this.session ??= openDuckDb(this.options);
      const { connection } = await this.session;
      const needPrevious = Math.max(...input.definition.windowsMinutes) > 1;
      const files = needPrevious ? [...input.previousHourFiles, ...input.hourFiles] : [...input.hourFiles];
      await connection.run(clicksSql({ hour: input.hour, files }));
      await connection.run(cellsSql(input.definition));
      await connection.run(topsSql(input.hour, input.definition));

      const from = input.hour;
      const to = input.hour + HOUR_MS;
      const totals = await connection.runAndReadAll(
        `SELECT coalesce(sum(copies), 0)::DOUBLE, count(*)::DOUBLE FROM clicks
         WHERE click_timestamp >= make_timestamp(${from * 1000}::BIGINT)
           AND click_timestamp < make_timestamp(${to * 1000}::BIGINT)`,
      );
      const [rawRows, clicks] = totals.getRows()[0] as [number, number];

      const cellRows = (await connection.runAndReadAll(hourCellsQuery(input.hour))).getRows();
      const cells: MinuteCount[] = cellRows.map(([adId, slice, minute, count]) => ({
        adId: adId as string,
        slice: slice as string,
        minute: minute as number,
        count: count as number,
      }));

      const topRows = (
        await connection.runAndReadAll(
          `SELECT window_minutes::INTEGER, end_minute::DOUBLE, slice, ad_id, clicks::INTEGER FROM tops
           ORDER BY window_minutes, end_minute, slice, rank`,
        )
      ).getRows();
      const topLists: TopList[] = [];
      let current: TopList | undefined;
      for (const [windowMinutes, endMinute, slice, adId, count] of topRows) {
        if (
          current === undefined ||
          current.windowMinutes !== windowMinutes ||
          current.endMinute !== endMinute ||
          current.slice !== slice
        ) {
          current = {
            windowMinutes: windowMinutes as number,
            endMinute: endMinute as number,
            slice: slice as string,
            ads: [],
          };
          topLists.push(current);
        }
        current.ads.push({ adId: adId as string, count: count as number });
      }

      if (input.aggMinuteFile !== undefined)
        await connection.run(copyAggMinuteSql(input.hour, input.aggMinuteFile));
      if (input.aggTopFile !== undefined) await connection.run(copyAggTopSql(input.aggTopFile));
      await connection.run(
        'DROP TABLE IF EXISTS clicks; DROP TABLE IF EXISTS cells; DROP TABLE IF EXISTS tops',
      );
      return { hour: input.hour, rawRows, clicks, cells, topLists };
    } catch (error) {
      throw duckDbError(error, `recomputing hour ${new Date(input.hour).toISOString()}`);
    } finally {
      this.busy = false;
    }
  }

  async close(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    if (session !== undefined) closeDuckDb(await session.catch(() => undefined));
  }
}
