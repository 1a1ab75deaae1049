import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { MinuteCount, TopList } from '../../shared/aggregate-store/types.ts';
import { HOUR_MS } from '../../shared/aggregation/time.ts';
import {
  closeDuckDb,
  type DuckDbSession,
  duckDbError,
  openDuckDb,
  readNumberColumns,
} from '../duckdb/duckdb.ts';
import {
  adIdsQuery,
  adsSql,
  cellsSql,
  copyAggMinuteSql,
  copyAggTopSql,
  createTopsSql,
  dropTablesSql,
  hourTotalsQuery,
  slicesQuery,
  windowCellsQuery,
} from './recompute-sql.ts';
import { firstWindowMinute, slidingTopLists, type WindowCells } from './sliding-top-n.ts';
import type { HourAggregates, HourComputeInput, RecomputeEngine } from './types.ts';

export interface DuckDbRecomputeEngineOptions {
  /** DuckDB worker threads (default: one per core). */
  threads?: number;
  /** DuckDB memory limit, e.g. `4GB` (default: DuckDB's, 80% of RAM). */
  memoryLimit?: string;
}

/**
 * Recomputes an hour with DuckDB over local Parquet files (no httpfs: the caller stages the
 * objects). DuckDB reads the files once, deduplicating and counting per minute in one statement;
 * the cells come back to Node as numbers, and the sliding top-N lists are ranked there
 * (`sliding-top-n.ts`). One engine runs one hour at a time; a worker process holds one engine per
 * concurrent job.
 */
export class DuckDbRecomputeEngine implements RecomputeEngine {
  private session: Promise<DuckDbSession> | undefined;
  private busy = false;

  constructor(private readonly options: DuckDbRecomputeEngineOptions = {}) {}

  async compute(input: HourComputeInput): Promise<HourAggregates> {
    if (this.busy) throw duckDbError(new Error('engine already computing an hour'), 'recomputing');
    this.busy = true;
    let aggMinute: Promise<void> = Promise.resolve();
    try {
      this.session ??= openDuckDb(this.options);
      const { instance, connection } = await this.session;
      const { hour, definition } = input;
      const stagesMs: Record<string, number> = {};
      let last = performance.now();
      const stage = (name: string) => {
        const now = performance.now();
        stagesMs[name] = Math.round(now - last);
        last = now;
      };
      const needPrevious = Math.max(...definition.windowsMinutes) > 1;
      const files = needPrevious ? [...input.previousHourFiles, ...input.hourFiles] : [...input.hourFiles];
      await connection.run(cellsSql({ hour, files, definition }));
      const [rawRows, clicks] = (await connection.runAndReadAll(hourTotalsQuery(hour))).getRows()[0] as [
        number,
        number,
      ];
      stage('dedup + cells (one statement)');

      // agg/minute is written on a second connection while Node reads and ranks: DuckDB's export
      // then uses the core the single-threaded ranking leaves free.
      if (input.aggMinuteFile !== undefined) {
        aggMinute = exportOnOwnConnection(instance, copyAggMinuteSql(hour, input.aggMinuteFile));
        aggMinute.catch(() => undefined);
      }
      const from = firstWindowMinute(hour, definition);
      const windowCells = await readWindowCells(connection, from);
      const cells = hourCells(windowCells, hour);
      stage('read cells into Node');
      const topLists = slidingTopLists(windowCells, hour, definition);
      stage('top-N lists');
      if (input.aggTopFile !== undefined) {
        await appendTops(connection, topLists);
        await connection.run(copyAggTopSql(input.aggTopFile));
        stage('agg/top Parquet');
      }
      await aggMinute;
      stage('agg/minute Parquet (rest, runs beside the ranking)');
      await connection.run(dropTablesSql);
      return { hour, rawRows, clicks, cells, topLists, stagesMs };
    } catch (error) {
      throw duckDbError(error, `recomputing hour ${new Date(input.hour).toISOString()}`);
    } finally {
      // Never leave an export running into the next hour's tables.
      await aggMinute.catch(() => undefined);
      this.busy = false;
    }
  }

  async close(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    if (session !== undefined) closeDuckDb(await session.catch(() => undefined));
  }
}

/** Runs one export statement on a connection of its own (tables, not temp tables, are shared). */
async function exportOnOwnConnection(instance: DuckDBInstance, sql: string): Promise<void> {
  const connection = await instance.connect();
  try {
    await connection.run(sql);
  } finally {
    connection.closeSync();
  }
}

/** The cells from `fromMinute` on, as columns; ad ids and slices as indices into two small lists. */
async function readWindowCells(connection: DuckDBConnection, fromMinute: number): Promise<WindowCells> {
  await connection.run(adsSql(fromMinute));
  const adIds = (await connection.runAndReadAll(adIdsQuery)).getColumnsJS()[0] as string[] | undefined;
  const slices = (await connection.runAndReadAll(slicesQuery(fromMinute))).getColumnsJS()[0] as
    | string[]
    | undefined;
  if (adIds === undefined || slices === undefined || slices.length === 0) {
    return {
      adIds: [],
      slices: [],
      slice: new Int32Array(),
      ad: new Int32Array(),
      minute: new Float64Array(),
      count: new Float64Array(),
    };
  }
  const [slice, ad, minute, count] = (await readNumberColumns(
    connection,
    windowCellsQuery(fromMinute, slices),
    4,
  )) as [Float64Array, Float64Array, Float64Array, Float64Array];
  return { adIds, slices, slice: Int32Array.from(slice), ad: Int32Array.from(ad), minute, count };
}

/** The cells of `[hour, hour + 1 h)`: the hour's share of the batch view. */
function hourCells(cells: WindowCells, hour: number): MinuteCount[] {
  const out: MinuteCount[] = [];
  const end = hour + HOUR_MS;
  for (let i = 0; i < cells.minute.length; i++) {
    const minute = cells.minute[i]!;
    if (minute < hour || minute >= end) continue;
    out.push({
      adId: cells.adIds[cells.ad[i]!]!,
      slice: cells.slices[cells.slice[i]!]!,
      minute,
      count: cells.count[i]!,
    });
  }
  return out;
}

/** Loads the ranked lists into the `tops` table (for `agg/top`) through DuckDB's appender. */
async function appendTops(connection: DuckDBConnection, topLists: readonly TopList[]): Promise<void> {
  await connection.run(createTopsSql);
  const appender = await connection.createAppender('tops');
  for (const list of topLists) {
    for (const [i, entry] of list.ads.entries()) {
      appender.appendInteger(list.windowMinutes);
      appender.appendVarchar(list.slice);
      appender.appendDouble(list.endMinute);
      appender.appendInteger(i + 1);
      appender.appendVarchar(entry.adId);
      appender.appendDouble(entry.count);
      appender.endRow();
    }
  }
  appender.closeSync();
}
