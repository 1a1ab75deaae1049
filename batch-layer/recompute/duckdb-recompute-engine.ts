import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { TopList } from '../../shared/aggregate-store/types.ts';
import { ALL_SLICE } from '../../shared/aggregation/definition.ts';
import { closeDuckDb, type DuckDbSession, duckDbError, openDuckDb } from '../duckdb/duckdb.ts';
import { cellsSql, kafkaOrderStatsQuery, packedKafkaOrderFits } from './cells-sql.ts';
import { DuckDbHourCells } from './duckdb-hour-cells.ts';
import { rankTopLists } from './duckdb-top-lists.ts';
import {
  copyAggMinuteSql,
  copyAggTopSql,
  createTopsSql,
  dropRankingTablesSql,
  hourRawRowsFromStatsQuery,
  hourRawRowsQuery,
  hourTotalsQuery,
} from './recompute-sql.ts';
import type { HourAggregates, HourComputeInput, RecomputeEngine } from './types.ts';

export interface DuckDbRecomputeEngineOptions {
  /** DuckDB worker threads (default: one per core). */
  threads?: number;
  /** DuckDB memory limit, e.g. `4GB` (default: DuckDB's, 80% of RAM). */
  memoryLimit?: string;
  /**
   * Ads taken from the top of each minute as ranking candidates (`top-n-candidates.ts`; default
   * 2 × topN, never below topN). More means more cells read, fewer windows left unsettled.
   */
  candidatesPerMinute?: number;
}

/**
 * 2 × N, measured on 3M Zipf clicks (top 100): with N, 1,900 of 2,160 windows stay unsettled (the
 * N-th count of a minute equals its list's floor) and the second pass reads 1.6M cells; with 2 N,
 * 260k cells and 19 sparse windows adding 23k; with 5 N, 530k cells and none.
 */
const CANDIDATES_PER_MINUTE_FACTOR = 2;

/**
 * Recomputes an hour with DuckDB over local Parquet files (no httpfs: the caller stages the
 * objects). DuckDB reads the files once, deduplicating and counting per minute in one statement.
 * Only the cells of ads that can reach a top list (`top-n-candidates.ts`) come back to Node, as
 * numbers, where the sliding top-N lists are ranked (`sliding-top-n.ts`); the hour's cells stay in
 * DuckDB until the batch view writer reads them (`DuckDbHourCells`). One engine runs one hour at a
 * time; a worker process holds one engine per concurrent job.
 */
export class DuckDbRecomputeEngine implements RecomputeEngine {
  private session: Promise<DuckDbSession> | undefined;
  private busy = false;
  /** Bumped by every compute and by close: hour cells of an older generation refuse to be read. */
  private generation = 0;

  constructor(private readonly options: DuckDbRecomputeEngineOptions = {}) {}

  async compute(input: HourComputeInput): Promise<HourAggregates> {
    if (this.busy) throw duckDbError(new Error('engine already computing an hour'), 'recomputing');
    this.busy = true;
    this.generation++;
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
      const packedOrder =
        files.length > 0 &&
        packedKafkaOrderFits((await connection.runAndReadAll(kafkaOrderStatsQuery(files))).getRows());
      await connection.run(cellsSql({ hour, files, definition, packedOrder }));
      // agg/minute is written on a second connection while the rest runs: DuckDB's export then
      // uses the core that the small queries and the single-threaded ranking leave free.
      if (input.aggMinuteFile !== undefined) {
        aggMinute = exportOnOwnConnection(instance, copyAggMinuteSql(hour, input.aggMinuteFile));
        aggMinute.catch(() => undefined);
      }
      const [statsRows, openGroups] = (
        await connection.runAndReadAll(hourRawRowsFromStatsQuery(hour, files))
      ).getRows()[0] as [number, number];
      const rawRows =
        openGroups === 0
          ? statsRows
          : ((await connection.runAndReadAll(hourRawRowsQuery(hour, files))).getRows()[0]![0] as number);
      stage('dedup + cells (one statement)');

      const { topLists, rankedCells, minuteTops } = await rankTopLists(
        connection,
        hour,
        definition,
        this.options.candidatesPerMinute ?? CANDIDATES_PER_MINUTE_FACTOR * definition.topN,
        stage,
      );
      if (input.aggTopFile !== undefined) {
        await appendTops(connection, topLists);
        await connection.run(copyAggTopSql(input.aggTopFile));
        stage('agg/top Parquet');
      }
      const slices = (
        await connection.runAndReadAll(hourTotalsQuery(hour, minuteTops ? 'minute_tops' : 'cells'))
      ).getRows() as [string, number, number][];
      const clicks = slices.find(([slice]) => slice === ALL_SLICE)?.[2] ?? 0;
      const generation = this.generation;
      const cells = new DuckDbHourCells(
        connection,
        hour,
        slices.reduce((sum, [, n]) => sum + n, 0),
        slices.map(([slice]) => slice),
        () => this.generation === generation && !this.busy,
      );
      await aggMinute;
      stage('agg/minute Parquet (rest, runs beside the ranking)');
      await connection.run(dropRankingTablesSql);
      return { hour, rawRows, clicks, cells, topLists, rankedCells, stagesMs };
    } catch (error) {
      throw duckDbError(error, `recomputing hour ${new Date(input.hour).toISOString()}`);
    } finally {
      // Never leave an export running into the next hour's tables.
      await aggMinute.catch(() => undefined);
      this.busy = false;
    }
  }

  async close(): Promise<void> {
    this.generation++;
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

/** Loads the ranked lists into the `tops` table (for `agg/top`) through DuckDB's appender. */
async function appendTops(connection: DuckDBConnection, topLists: readonly TopList[]): Promise<void> {
  await connection.run(createTopsSql);
  const appender = await connection.createAppender('tops');
  for (const list of topLists) {
    appender.appendInteger(list.windowMinutes);
    appender.appendVarchar(list.slice);
    appender.appendDouble(list.endMinute);
    appender.appendVarchar(JSON.stringify(list.ads.map((e) => e.adId)));
    appender.appendVarchar(JSON.stringify(list.ads.map((e) => e.count)));
    appender.endRow();
  }
  appender.closeSync();
}
