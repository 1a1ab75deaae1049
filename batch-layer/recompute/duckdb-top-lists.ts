import type { DuckDBConnection } from '@duckdb/node-api';
import type { TopList } from '../../shared/aggregate-store/types.ts';
import type { AggregationDefinition } from '../../shared/aggregation/definition.ts';
import { MINUTE_MS } from '../../shared/aggregation/time.ts';
import { readNumberColumns } from '../duckdb/duckdb.ts';
import {
  addUnsettledCandidatesSql,
  adIdsQuery,
  candidateCellsQuery,
  candidateSlicesQuery,
  createUnsettledSql,
  minuteTopsSql,
  outsiderBoundQuery,
  rankAdsSql,
} from './recompute-sql.ts';
import { slidingTopLists, type WindowCells } from './sliding-top-n.ts';
import { rankingSpan, unsettledMinutes } from './top-n-candidates.ts';

/** The hour's top lists and how many cells their ranking read. */
export interface RankedTopLists {
  topLists: TopList[];
  rankedCells: number;
  /** Whether the `minute_tops` table was made (its totals then serve `hourTotalsQuery`). */
  minuteTops: boolean;
}

/**
 * Ranks the top lists of `hour` from the engine's `cells` table: only the ads in the top
 * `perMinute` of some minute (ties at the N-th count included where they reach that far) are read
 * and ranked, plus — rarely — the ads of windows that this set cannot settle
 * (`top-n-candidates.ts` has the rule and its proof). Cells come back as numbers; strings stay in
 * DuckDB.
 */
export async function rankTopLists(
  connection: DuckDBConnection,
  hour: number,
  definition: AggregationDefinition,
  perMinute: number,
  stage: (name: string) => void,
): Promise<RankedTopLists> {
  if (definition.topN <= 0 || definition.windowsMinutes.length === 0)
    return { topLists: [], rankedCells: 0, minuteTops: false };
  const { from, span } = rankingSpan(hour, definition);
  await connection.run(minuteTopsSql(from, Math.max(perMinute, definition.topN), definition.topN));
  const slices = (await connection.runAndReadAll(candidateSlicesQuery)).getColumnsJS()[0] as
    | string[]
    | undefined;
  if (slices === undefined || slices.length === 0) return { topLists: [], rankedCells: 0, minuteTops: true };
  const bounds = new Map<string, Float64Array>(slices.map((s) => [s, new Float64Array(span)]));
  for (const [slice, minute, bound] of (await connection.runAndReadAll(outsiderBoundQuery)).getRows() as [
    string,
    number,
    number,
  ][])
    bounds.get(slice)![(minute - from) / MINUTE_MS] = bound;
  stage('candidate ads (top of each minute)');
  let cells = await readRankedCells(connection, from, slices);
  stage('candidate cells into Node');
  let topLists = slidingTopLists(cells, hour, definition);
  stage('top-N lists');
  const unsettled = unsettledMinutes(topLists, bounds, slices, hour, definition);
  if (unsettled.size > 0) {
    await connection.run(createUnsettledSql);
    const appender = await connection.createAppender('unsettled');
    for (const [slice, minutes] of unsettled) {
      for (const minute of minutes) {
        appender.appendVarchar(slice);
        appender.appendBigInt(BigInt(minute));
        appender.endRow();
      }
    }
    appender.closeSync();
    await connection.run(addUnsettledCandidatesSql);
    cells = await readRankedCells(connection, from, slices);
    topLists = slidingTopLists(cells, hour, definition);
    stage('unsettled windows: more candidates, ranked again');
  }
  return { topLists, rankedCells: cells.ad.length, minuteTops: true };
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
