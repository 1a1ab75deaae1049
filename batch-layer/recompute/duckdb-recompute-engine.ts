import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { TopList } from '../../shared/aggregate-store/types.ts';
import type { AggregationDefinition } from '../../shared/aggregation/definition.ts';
import { MINUTE_MS } from '../../shared/aggregation/time.ts';
import {
  closeDuckDb,
  type DuckDbSession,
  duckDbError,
  openDuckDb,
  readNumberColumns,
} from '../duckdb/duckdb.ts';
import { DuckDbHourCells } from './duckdb-hour-cells.ts';
import {
  adIdsQuery,
  candidateCellsQuery,
  candidateSlicesQuery,
  cellsSql,
  copyAggMinuteSql,
  copyAggTopSql,
  createFloorsSql,
  createTopsSql,
  dropRankingTablesSql,
  hourClicksQuery,
  hourRawRowsQuery,
  hourSlicesQuery,
  kafkaOrderStatsQuery,
  packedKafkaOrderFits,
  prunedCandidatesSql,
  rankAdsSql,
  subsetSql,
} from './recompute-sql.ts';
import { slidingTopLists, type WindowCells } from './sliding-top-n.ts';
import { rankingSpan, windowFloors } from './top-n-floors.ts';
import type { HourAggregates, HourComputeInput, RecomputeEngine } from './types.ts';

export interface DuckDbRecomputeEngineOptions {
  /** DuckDB worker threads (default: one per core). */
  threads?: number;
  /** DuckDB memory limit, e.g. `4GB` (default: DuckDB's, 80% of RAM). */
  memoryLimit?: string;
}

/**
 * Recomputes an hour with DuckDB over local Parquet files (no httpfs: the caller stages the
 * objects). DuckDB reads the files once, deduplicating and counting per minute in one statement.
 * Only the cells of ads that can still reach a top list (`top-n-floors.ts`) come back to Node, as
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
      const clicks = (await connection.runAndReadAll(hourClicksQuery(hour))).getRows()[0]![0] as number;
      const rawRows = (
        await connection.runAndReadAll(hourRawRowsQuery(hour, files))
      ).getRows()[0]![0] as number;
      stage('dedup + cells (one statement)');

      // agg/minute is written on a second connection while Node reads and ranks: DuckDB's export
      // then uses the core the single-threaded ranking leaves free.
      if (input.aggMinuteFile !== undefined) {
        aggMinute = exportOnOwnConnection(instance, copyAggMinuteSql(hour, input.aggMinuteFile));
        aggMinute.catch(() => undefined);
      }
      const windowCells = await readCandidateCells(connection, hour, definition, stage);
      stage('candidate cells into Node');
      const topLists = slidingTopLists(windowCells, hour, definition);
      stage('top-N lists');
      if (input.aggTopFile !== undefined) {
        await appendTops(connection, topLists);
        await connection.run(copyAggTopSql(input.aggTopFile));
        stage('agg/top Parquet');
      }
      const slices = (await connection.runAndReadAll(hourSlicesQuery(hour))).getRows() as [string, number][];
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
      return { hour, rawRows, clicks, cells, topLists, rankedCells: windowCells.ad.length, stagesMs };
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

/**
 * The cells of the ads that may reach a top list, from the first minute a window of the hour
 * covers, as columns; ad ids and slices as indices into two small lists. Ranks a subset first to
 * find the floors that prune the rest (`top-n-floors.ts`).
 */
async function readCandidateCells(
  connection: DuckDBConnection,
  hour: number,
  definition: AggregationDefinition,
  stage: (name: string) => void,
): Promise<WindowCells> {
  const { from } = rankingSpan(hour, definition);
  if (definition.topN <= 0 || definition.windowsMinutes.length === 0) return emptyCells();
  await connection.run(subsetSql(from, definition.topN));
  const slices = (await connection.runAndReadAll(candidateSlicesQuery)).getColumnsJS()[0] as
    | string[]
    | undefined;
  if (slices === undefined || slices.length === 0) return emptyCells();
  const subsetLists = slidingTopLists(await readRankedCells(connection, from, slices), hour, definition);
  stage('subset ranking (for the floors)');
  const floors = windowFloors(subsetLists, slices, hour, definition);
  await connection.run(createFloorsSql(definition.windowsMinutes));
  const appender = await connection.createAppender('floors');
  for (const slice of slices) {
    const perWindow = floors.get(slice)!;
    for (let t = 0; t < perWindow[0]!.length; t++) {
      appender.appendVarchar(slice);
      appender.appendBigInt(BigInt(from + t * MINUTE_MS));
      for (const f of perWindow) appender.appendDouble(f[t]!);
      appender.endRow();
    }
  }
  appender.closeSync();
  await connection.run(prunedCandidatesSql(definition.windowsMinutes));
  stage('candidate ads');
  return readRankedCells(connection, from, slices);
}

/** The cells of the `candidates` table's (slice, ad) pairs, ads ranked in ad_id order. */
async function readRankedCells(
  connection: DuckDBConnection,
  from: number,
  slices: readonly string[],
): Promise<WindowCells> {
  await connection.run(rankAdsSql);
  const adIds = (await connection.runAndReadAll(adIdsQuery)).getColumnsJS()[0] as string[] | undefined;
  if (adIds === undefined || adIds.length === 0) return { ...emptyCells(), slices };
  const [slice, ad, minute, count] = (await readNumberColumns(
    connection,
    candidateCellsQuery(from, slices),
    4,
  )) as [Float64Array, Float64Array, Float64Array, Float64Array];
  return { adIds, slices, slice: Int32Array.from(slice), ad: Int32Array.from(ad), minute, count };
}

function emptyCells(): WindowCells {
  return {
    adIds: [],
    slices: [],
    slice: new Int32Array(),
    ad: new Int32Array(),
    minute: new Float64Array(),
    count: new Float64Array(),
  };
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
