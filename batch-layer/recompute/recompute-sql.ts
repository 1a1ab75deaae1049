import { HOUR_MS } from '../../shared/aggregation/time.ts';
import { sqlString, sqlStringList } from '../duckdb/duckdb.ts';

/**
 * The batch layer's SQL (DuckDB dialect) after the dedup, kept apart from the engine so it can be
 * read and tested on its own. Tables: `cells` (per-minute counts, made by `cellsSql` in
 * `cells-sql.ts`), `ads` (every candidate ad id with its rank in ad_id order), `tops` (ranked
 * lists, filled by the engine).
 */

/**
 * Per slice with cells in `[hour, hour + 1 h)`: its cells and clicks (distinct clicks of the hour
 * are the `all` slice's), sorted by slice. From `minute_tops` when the ranking made it — its
 * per-minute totals cover the hour (see `minuteTopsSql`), so the 4M-cell table is not scanned
 * again — else from `cells`.
 */
export function hourTotalsQuery(hour: number, from: 'cells' | 'minute_tops'): string {
  const [cells, clicks] = from === 'cells' ? ['count(*)', 'sum(clicks)'] : ['sum(cells)', 'sum(clicks)'];
  return `SELECT slice, ${cells}::DOUBLE AS cells, ${clicks}::DOUBLE AS clicks FROM ${from}
WHERE minute >= ${hour} AND minute < ${hour + HOUR_MS} GROUP BY slice ORDER BY slice`;
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
 * largest counts whichever tied ads `arg_max` took, so its minimum is the k-th count. The same
 * scan keeps each (slice, minute)'s cells and clicks for `hourTotalsQuery`.
 */
export function minuteTopsSql(fromMinute: number, k: number, n: number): string {
  return `CREATE OR REPLACE TEMP TABLE minute_tops AS
SELECT slice, minute, arg_max(ad_id, clicks, ${k}) AS top,
       CASE WHEN count(*) >= ${k} THEN list_min(max(clicks, ${k})) ELSE 0 END AS kth,
       CASE WHEN count(*) >= ${k} THEN list_min(max(clicks, ${n})) ELSE 0 END AS nth,
       count(*) AS cells, sum(clicks) AS clicks
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
 * One join against the (slice, ad_id) → (slice index, rank) table of the few thousand candidates.
 */
export function candidateCellsQuery(fromMinute: number, slices: readonly string[]): string {
  return `SELECT k.s, k.ad, c.minute::DOUBLE AS minute, c.clicks::DOUBLE AS clicks
FROM cells c JOIN (SELECT slice, ad_id, (list_position(${sqlStringList(slices)}, slice) - 1)::INTEGER AS s, ad
                   FROM candidates JOIN ads USING (ad_id)) k USING (slice, ad_id)
WHERE c.minute >= ${fromMinute}`;
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
 * ZSTD level 1: as small as the default level 3 on these files (16.2 MB for 4.3M cells) and
 * ~0.1–0.2 s faster to write.
 */
export function copyAggMinuteSql(hour: number, file: string): string {
  return `COPY (SELECT ad_id, slice, make_timestamp(minute * 1000) AS minute, clicks FROM cells
WHERE minute >= ${hour} AND minute < ${hour + HOUR_MS})
TO ${sqlString(file)} (FORMAT PARQUET, COMPRESSION ZSTD, COMPRESSION_LEVEL 1)`;
}

/**
 * `agg/top`, one row per entry. No ORDER BY: the lists are appended sorted by window, end minute
 * and slice, and DuckDB keeps insertion order (its default `preserve_insertion_order`).
 */
export function copyAggTopSql(file: string): string {
  return `COPY (SELECT window_minutes, slice, make_timestamp(end_minute::BIGINT * 1000) AS end_minute,
       unnest(range(1, len(a) + 1)) AS rank, unnest(a) AS ad_id, unnest(c) AS clicks
FROM (SELECT *, from_json(ad_ids, '["VARCHAR"]') AS a, from_json(counts, '["BIGINT"]') AS c FROM tops))
TO ${sqlString(file)} (FORMAT PARQUET, COMPRESSION ZSTD, COMPRESSION_LEVEL 1)`;
}

/** Frees the ranking's tables, keeping `cells` for the batch view writer. */
export const dropRankingTablesSql = `DROP TABLE IF EXISTS ads; DROP TABLE IF EXISTS tops; DROP TABLE IF EXISTS candidates;
DROP TABLE IF EXISTS minute_tops; DROP TABLE IF EXISTS unsettled`;
