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
  /** Kafka order fits one BIGINT (see `packedKafkaOrderFits`); otherwise a HUGEINT is used. */
  packedOrder?: boolean;
}): string {
  const from = input.hour - HOUR_MS;
  const to = input.hour + HOUR_MS;
  if (input.files.length === 0)
    return 'CREATE OR REPLACE TABLE cells (ad_id VARCHAR, slice VARCHAR, minute BIGINT, clicks BIGINT)';
  const columns = ['ad_id', 'click_timestamp', ...dimensionColumns(input.definition)];
  const slices = sliceGroupingSql(input.definition, ['ad_id', 'minute']);
  // Kafka order as one fixed-width number (partition in the high bits): arg_min over it is much
  // cheaper than over a struct of the two, and over a BIGINT cheaper than over a HUGEINT.
  const kafkaOrder = input.packedOrder
    ? `(kafka_partition::BIGINT << ${OFFSET_BITS}) + kafka_offset`
    : '(kafka_partition::HUGEINT << 64) + kafka_offset';
  return `CREATE OR REPLACE TABLE cells AS
WITH clicks AS (
  SELECT ${columns.map((c) => `arg_min(${c}, ${kafkaOrder}) AS ${c}`).join(', ')}
  FROM read_parquet(${sqlStringList(input.files)}, union_by_name = true)
  WHERE click_timestamp >= make_timestamp(${from * 1000}::BIGINT)
    AND click_timestamp < make_timestamp(${to * 1000}::BIGINT)
  GROUP BY click_id, click_timestamp >= make_timestamp(${input.hour * 1000}::BIGINT)
)
SELECT ad_id, ${slices.slice} AS slice, epoch_ms(date_trunc('minute', click_timestamp)) AS minute,
       count(*)::BIGINT AS clicks
FROM clicks
GROUP BY ${slices.groupBy}`;
}

/** Offsets below 2^47 (140 trillion) and partitions below 2^16 pack into one non-negative BIGINT. */
const OFFSET_BITS = 47;
const PARTITION_BITS = 16;

/**
 * Min and max of `kafka_partition` and `kafka_offset` over the files, from their Parquet footers'
 * statistics (no data read): one row per column with row groups, row groups with statistics, min,
 * max.
 */
export function kafkaOrderStatsQuery(files: readonly string[]): string {
  return `SELECT path_in_schema, count(*)::DOUBLE, count(stats_min_value)::DOUBLE,
       min(TRY_CAST(stats_min_value AS BIGINT))::DOUBLE, max(TRY_CAST(stats_max_value AS BIGINT))::DOUBLE
FROM parquet_metadata(${sqlStringList(files)})
WHERE path_in_schema IN ('kafka_partition', 'kafka_offset') GROUP BY path_in_schema`;
}

/**
 * Whether `(partition << 47) + offset` orders the files' rows exactly as (partition, offset) does:
 * only when every row group of both columns has statistics proving the bounds. Files without
 * statistics keep the wide key, so the dedup rule never depends on the writer.
 */
export function packedKafkaOrderFits(rows: readonly (readonly unknown[])[]): boolean {
  const limits: Record<string, number> = {
    kafka_partition: 2 ** PARTITION_BITS,
    kafka_offset: 2 ** OFFSET_BITS,
  };
  const seen = new Set<string>();
  for (const [column, groups, withStats, min, max] of rows) {
    const limit = limits[String(column)];
    if (limit === undefined) continue;
    if (groups !== withStats || typeof min !== 'number' || typeof max !== 'number') return false;
    if (min < 0 || max >= limit) return false;
    seen.add(String(column));
  }
  return seen.size === 2;
}

/** Lake columns the slices read (the same ones `slicesSql` names). */
function dimensionColumns(definition: AggregationDefinition): string[] {
  return [...new Set(definition.dimensions.map((d) => DIMENSIONS[d]))];
}

/** Distinct clicks of the hour, from the `all` cells. */
export function hourClicksQuery(hour: number): string {
  return `SELECT coalesce(sum(clicks), 0)::DOUBLE FROM cells
WHERE slice = 'all' AND minute >= ${hour} AND minute < ${hour + HOUR_MS}`;
}

/**
 * Raw rows of the hour read from the files' Parquet footers alone: the rows of the row groups
 * whose `click_timestamp` statistics lie inside the hour without nulls, and how many row groups
 * the statistics leave open (straddling a bound of the hour, or without statistics). When none is
 * open the count is exact (groups wholly outside the hour count nothing in the scan either);
 * otherwise the engine scans with `hourRawRowsQuery`.
 */
export function hourRawRowsFromStatsQuery(hour: number, files: readonly string[]): string {
  if (files.length === 0) return 'SELECT 0::DOUBLE, 0::DOUBLE';
  const lo = `make_timestamp(${hour * 1000}::BIGINT)`;
  const hi = `make_timestamp(${(hour + HOUR_MS) * 1000}::BIGINT)`;
  return `SELECT coalesce(sum(n) FILTER (WHERE inside), 0)::DOUBLE,
       count(*) FILTER (WHERE inside IS NULL OR NOT (inside OR outside))::DOUBLE
FROM (SELECT row_group_num_rows AS n, least_ts >= ${lo} AND greatest_ts < ${hi} AND nulls = 0 AS inside,
             greatest_ts < ${lo} OR least_ts >= ${hi} AS outside
  FROM (SELECT row_group_num_rows, stats_null_count AS nulls,
               TRY_CAST(stats_min_value AS TIMESTAMP) AS least_ts, TRY_CAST(stats_max_value AS TIMESTAMP) AS greatest_ts
        FROM parquet_metadata(${sqlStringList(files)}) WHERE path_in_schema = 'click_timestamp'))`;
}

/**
 * Raw rows of the hour (duplicates included), counted apart from the dedup: one column scanned,
 * row groups skipped by their statistics, far cheaper than carrying a count through the dedup.
 */
export function hourRawRowsQuery(hour: number, files: readonly string[]): string {
  if (files.length === 0) return 'SELECT 0::DOUBLE';
  return `SELECT count(*)::DOUBLE FROM read_parquet(${sqlStringList(files)}, union_by_name = true)
WHERE click_timestamp >= make_timestamp(${hour * 1000}::BIGINT)
  AND click_timestamp < make_timestamp(${(hour + HOUR_MS) * 1000}::BIGINT)`;
}

/**
 * The candidate ads of `top-n-candidates.ts`: per (slice, minute) from `fromMinute` on, the ads of
 * the `k` largest cells (which of several tied ads are taken does not matter) and, where the k-th
 * and the n-th largest counts are equal, every ad with that count. `max(clicks, k)` holds the k
 * largest counts whichever tied ads `arg_max` took, so its minimum is the k-th count.
 */
export function minuteTopsSql(fromMinute: number, k: number, n: number): string {
  return `CREATE OR REPLACE TEMP TABLE minute_tops AS
SELECT slice, minute, arg_max(ad_id, clicks, ${k}) AS top,
       CASE WHEN count(*) >= ${k} THEN list_min(max(clicks, ${k})) ELSE 0 END AS kth,
       CASE WHEN count(*) >= ${k} THEN list_min(max(clicks, ${n})) ELSE 0 END AS nth
FROM cells WHERE minute >= ${fromMinute} GROUP BY slice, minute;
CREATE OR REPLACE TEMP TABLE candidates AS
SELECT DISTINCT slice, unnest(top) AS ad_id FROM minute_tops
UNION
SELECT slice, ad_id FROM cells
JOIN (SELECT slice, minute, nth FROM minute_tops WHERE kth = nth AND kth > 0) USING (slice, minute)
WHERE clicks >= nth`;
}

/**
 * Per (slice, minute), the most clicks an ad outside the candidates can have there, where not 0:
 * the k-th count, or one less where the ties at the n-th count were all taken.
 */
export const outsiderBoundQuery = `SELECT slice, minute::DOUBLE AS minute, bound::DOUBLE AS bound FROM (
  SELECT slice, minute, CASE WHEN kth = nth THEN kth - 1 ELSE kth END AS bound FROM minute_tops)
WHERE bound > 0`;

/** Where the engine appends the minutes of unsettled windows (`unsettledMinutes`). */
export const createUnsettledSql = 'CREATE OR REPLACE TEMP TABLE unsettled (slice VARCHAR, minute BIGINT)';

/** Adds to the candidates every ad with a cell in an unsettled minute of its slice. */
export const addUnsettledCandidatesSql = `INSERT INTO candidates
SELECT slice, ad_id FROM cells SEMI JOIN unsettled USING (slice, minute)
EXCEPT SELECT slice, ad_id FROM candidates`;

/** Slices of the candidates, sorted. */
export const candidateSlicesQuery = 'SELECT DISTINCT slice FROM candidates ORDER BY slice';

/**
 * Ranks every candidate ad id in ad_id order (byte order, which is JavaScript's order for the
 * ASCII ad ids SPEC A1 allows): the ranking code breaks ties by this integer, not by strings.
 */
export const rankAdsSql = `CREATE OR REPLACE TEMP TABLE ads AS
SELECT ad_id, (row_number() OVER (ORDER BY ad_id) - 1)::INTEGER AS ad
FROM (SELECT DISTINCT ad_id FROM candidates)`;

/** The ad ids in rank order. */
export const adIdsQuery = 'SELECT ad_id FROM ads ORDER BY ad';

/**
 * The candidates' cells from `fromMinute` on, as numbers only: slice index (into `slices`), ad
 * rank, minute, clicks. Strings stay in DuckDB; Node resolves them through the two small lists.
 */
export function candidateCellsQuery(fromMinute: number, slices: readonly string[]): string {
  return `SELECT (list_position(${sqlStringList(slices)}, c.slice) - 1)::INTEGER AS s, a.ad,
       c.minute::DOUBLE AS minute, c.clicks::DOUBLE AS clicks
FROM cells c SEMI JOIN candidates USING (slice, ad_id) JOIN ads a USING (ad_id)
WHERE c.minute >= ${fromMinute}`;
}

/** Cells and slices of `[hour, hour + 1 h)`: what the batch view writer will read. */
export function hourSlicesQuery(hour: number): string {
  return `SELECT slice, count(*)::DOUBLE FROM cells
WHERE minute >= ${hour} AND minute < ${hour + HOUR_MS} GROUP BY slice ORDER BY slice`;
}

/** The cells of `[hour, hour + 1 h)` with their strings, for the batch view writer. */
export function hourCellsQuery(hour: number): string {
  return `SELECT ad_id, slice, minute::DOUBLE AS minute, clicks::DOUBLE AS clicks FROM cells
WHERE minute >= ${hour} AND minute < ${hour + HOUR_MS}`;
}

/**
 * Where the engine appends the ranked lists, for `agg/top`: one row per list, its ad ids and
 * counts as JSON arrays. Appending 200k entries one value at a time cost more than the export;
 * a JSON array is exact for any string, whatever the ad ids contain.
 */
export const createTopsSql =
  'CREATE OR REPLACE TABLE tops (window_minutes INTEGER, slice VARCHAR, end_minute DOUBLE, ad_ids VARCHAR, counts VARCHAR)';

/**
 * `agg/minute` of the hour. Rows are not sorted: sorting a million cells cost more than the rest
 * of the export, and Parquet readers filter by the min/max statistics of each row group anyway.
 */
export function copyAggMinuteSql(hour: number, file: string): string {
  return `COPY (SELECT ad_id, slice, make_timestamp(minute * 1000) AS minute, clicks FROM cells
WHERE minute >= ${hour} AND minute < ${hour + HOUR_MS})
TO ${sqlString(file)} (FORMAT PARQUET, COMPRESSION ZSTD)`;
}

/**
 * `agg/top`, one row per entry. No ORDER BY: the lists are appended sorted by window, end minute
 * and slice, and DuckDB keeps insertion order (its default `preserve_insertion_order`).
 */
export function copyAggTopSql(file: string): string {
  return `COPY (SELECT window_minutes, slice, make_timestamp(end_minute::BIGINT * 1000) AS end_minute,
       unnest(range(1, len(a) + 1)) AS rank, unnest(a) AS ad_id, unnest(c) AS clicks
FROM (SELECT *, from_json(ad_ids, '["VARCHAR"]') AS a, from_json(counts, '["BIGINT"]') AS c FROM tops))
TO ${sqlString(file)} (FORMAT PARQUET, COMPRESSION ZSTD)`;
}

/** Frees the ranking's tables, keeping `cells` for the batch view writer. */
export const dropRankingTablesSql = `DROP TABLE IF EXISTS ads; DROP TABLE IF EXISTS tops; DROP TABLE IF EXISTS candidates;
DROP TABLE IF EXISTS minute_tops; DROP TABLE IF EXISTS unsettled`;
