import {
  type AggregationDefinition,
  DIMENSIONS,
  sliceGroupingSql,
} from '../../shared/aggregation/definition.ts';
import { HOUR_MS } from '../../shared/aggregation/time.ts';
import { sqlString, sqlStringList } from '../duckdb/duckdb.ts';

/**
 * The batch layer's SQL (DuckDB dialect), kept apart from the engine so it can be read and tested
 * on its own. Tables: `cells` (per-minute counts straight from the raw files), `ads` (every ad id
 * of the cells with its rank in ad_id order), `tops` (ranked lists, filled by the engine).
 *
 * Dedup rule: a click is identified by `click_id` within the hour of its event time. Retries of
 * one click carry the same event time, so they always meet in the same hour and count once. If a
 * buggy client reuses a `click_id` with a different ad, country or time inside one hour, the row
 * that came first in Kafka order — lowest `kafka_partition`, then lowest `kafka_offset` — wins.
 * Deduplicating per hour keeps every hour's recompute independent of every other hour's files
 * (the files read span the hour and the one before, so "which hour" is one comparison).
 *
 * Dedup and counting are ONE statement, so the deduplicated clicks stream through DuckDB's
 * pipeline instead of being materialised as a table and scanned again.
 */
export function cellsSql(input: {
  hour: number;
  files: readonly string[];
  definition: AggregationDefinition;
}): string {
  const from = input.hour - HOUR_MS;
  const to = input.hour + HOUR_MS;
  if (input.files.length === 0)
    return 'CREATE OR REPLACE TABLE cells (ad_id VARCHAR, slice VARCHAR, minute BIGINT, clicks BIGINT, raw BIGINT)';
  const columns = ['ad_id', 'click_timestamp', ...dimensionColumns(input.definition)];
  const slices = sliceGroupingSql(input.definition, ['ad_id', 'minute']);
  // Kafka order as one fixed-width number (partition in the high 64 bits): arg_min over it is
  // much cheaper than over a struct of the two.
  const kafkaOrder = '(kafka_partition::HUGEINT << 64) + kafka_offset';
  return `CREATE OR REPLACE TABLE cells AS
WITH clicks AS (
  SELECT ${columns.map((c) => `arg_min(${c}, ${kafkaOrder}) AS ${c}`).join(', ')}, count(*) AS copies
  FROM read_parquet(${sqlStringList(input.files)}, union_by_name = true)
  WHERE click_timestamp >= make_timestamp(${from * 1000}::BIGINT)
    AND click_timestamp < make_timestamp(${to * 1000}::BIGINT)
  GROUP BY click_id, click_timestamp >= make_timestamp(${input.hour * 1000}::BIGINT)
)
SELECT ad_id, ${slices.slice} AS slice, epoch_ms(date_trunc('minute', click_timestamp)) AS minute,
       count(*)::BIGINT AS clicks, sum(copies)::BIGINT AS raw
FROM clicks
GROUP BY ${slices.groupBy}`;
}

/** Lake columns the slices read (the same ones `slicesSql` names). */
function dimensionColumns(definition: AggregationDefinition): string[] {
  return [...new Set(definition.dimensions.map((d) => DIMENSIONS[d]))];
}

/** Raw rows (duplicates included) and distinct clicks of the hour, from the `all` cells. */
export function hourTotalsQuery(hour: number): string {
  return `SELECT coalesce(sum(raw), 0)::DOUBLE, coalesce(sum(clicks), 0)::DOUBLE FROM cells
WHERE slice = 'all' AND minute >= ${hour} AND minute < ${hour + HOUR_MS}`;
}

/**
 * Ranks every ad id of the cells from `fromMinute` on in ad_id order (byte order, which is
 * JavaScript's order for the ASCII ad ids SPEC A1 allows): the ranking code breaks ties by this
 * integer instead of comparing strings.
 */
export function adsSql(fromMinute: number): string {
  return `CREATE OR REPLACE TEMP TABLE ads AS
SELECT ad_id, (row_number() OVER (ORDER BY ad_id) - 1)::INTEGER AS ad
FROM (SELECT DISTINCT ad_id FROM cells WHERE minute >= ${fromMinute})`;
}

/** The ad ids in rank order. */
export const adIdsQuery = 'SELECT ad_id FROM ads ORDER BY ad';

/** Distinct slices of the cells from `fromMinute` on. */
export function slicesQuery(fromMinute: number): string {
  return `SELECT DISTINCT slice FROM cells WHERE minute >= ${fromMinute} ORDER BY slice`;
}

/**
 * The cells top-N windows can reach, as numbers only: slice index (into `slices`), ad rank,
 * minute, clicks. Strings are left in DuckDB; Node resolves them through the two small lists.
 */
export function windowCellsQuery(fromMinute: number, slices: readonly string[]): string {
  return `SELECT (list_position(${sqlStringList(slices)}, c.slice) - 1)::INTEGER AS s, a.ad,
       c.minute::DOUBLE AS minute, c.clicks::DOUBLE AS clicks
FROM cells c JOIN ads a USING (ad_id)
WHERE c.minute >= ${fromMinute}`;
}

/**
 * Where the engine appends the ranked lists, for `agg/top`. Numbers go in as DOUBLE/INTEGER
 * (exact for epoch ms and counts) because appending BigInts from Node costs more than the export.
 */
export const createTopsSql =
  'CREATE OR REPLACE TABLE tops (window_minutes INTEGER, slice VARCHAR, end_minute DOUBLE, rank INTEGER, ad_id VARCHAR, clicks DOUBLE)';

/**
 * `agg/minute` of the hour. Rows are not sorted: sorting a million cells cost more than the rest
 * of the export, and Parquet readers filter by the min/max statistics of each row group anyway.
 */
export function copyAggMinuteSql(hour: number, file: string): string {
  return `COPY (SELECT ad_id, slice, make_timestamp(minute * 1000) AS minute, clicks FROM cells
WHERE minute >= ${hour} AND minute < ${hour + HOUR_MS})
TO ${sqlString(file)} (FORMAT PARQUET, COMPRESSION ZSTD)`;
}

export function copyAggTopSql(file: string): string {
  return `COPY (SELECT window_minutes, slice, make_timestamp(end_minute::BIGINT * 1000) AS end_minute,
       rank::BIGINT AS rank, ad_id, clicks::BIGINT AS clicks
FROM tops ORDER BY window_minutes, end_minute, slice, rank)
TO ${sqlString(file)} (FORMAT PARQUET, COMPRESSION ZSTD)`;
}

/** Frees the hour's tables. */
export const dropTablesSql =
  'DROP TABLE IF EXISTS cells; DROP TABLE IF EXISTS ads; DROP TABLE IF EXISTS tops';
