import { type AggregationDefinition, slicesSql } from '../../shared/aggregation/definition.ts';
import { HOUR_MS, MINUTE_MS } from '../../shared/aggregation/time.ts';
import { sqlString, sqlStringList } from '../duckdb/duckdb.ts';

/**
 * The batch layer's SQL (DuckDB dialect), kept apart from the engine so it can be read and tested
 * on its own. Tables: `clicks` (deduplicated), `cells` (per minute), `tops` (ranked lists).
 *
 * Dedup rule: a click is identified by `click_id` within the hour of its event time. Retries of
 * one click carry the same event time, so they always meet in the same hour and count once. If a
 * buggy client reuses a `click_id` with a different ad, country or time inside one hour, the row
 * that came first in Kafka order — lowest `kafka_partition`, then lowest `kafka_offset` — wins.
 * Deduplicating per hour keeps every hour's recompute independent of every other hour's files.
 */
export function clicksSql(input: { hour: number; files: readonly string[] }): string {
  const from = input.hour - HOUR_MS;
  const to = input.hour + HOUR_MS;
  if (input.files.length === 0)
    return 'CREATE OR REPLACE TEMP TABLE clicks (click_id VARCHAR, ad_id VARCHAR, click_timestamp TIMESTAMP, country VARCHAR, copies BIGINT)';
  return `CREATE OR REPLACE TEMP TABLE clicks AS
SELECT click_id,
       arg_min(ad_id, k) AS ad_id,
       arg_min(click_timestamp, k) AS click_timestamp,
       arg_min(country, k) AS country,
       count(*) AS copies
FROM (
  SELECT click_id, ad_id, click_timestamp, country,
         {'p': kafka_partition, 'o': kafka_offset} AS k
  FROM read_parquet(${sqlStringList(input.files)}, union_by_name = true)
  WHERE click_timestamp >= make_timestamp(${from * 1000}::BIGINT)
    AND click_timestamp < make_timestamp(${to * 1000}::BIGINT)
)
GROUP BY click_id, date_trunc('hour', click_timestamp)`;
}

/** Per-minute counts per (ad_id, slice), minutes as epoch ms. */
export function cellsSql(definition: AggregationDefinition): string {
  return `CREATE OR REPLACE TEMP TABLE cells AS
SELECT ad_id, slice, epoch_ms(date_trunc('minute', click_timestamp)) AS minute, count(*)::BIGINT AS clicks
FROM (SELECT ad_id, click_timestamp, UNNEST(${slicesSql(definition)}) AS slice FROM clicks)
GROUP BY ALL`;
}

/**
 * Top-N lists of every window whose end minute falls in `(hour, hour + 1 h]`: sums of the cells
 * over `[end − M min, end)`, ranked by most clicks first, ties by ad_id ascending (byte order,
 * which is JavaScript's order for the ASCII ad ids SPEC A1 allows).
 */
export function topsSql(hour: number, definition: AggregationDefinition): string {
  const ranges: string[] = [];
  for (const m of definition.windowsMinutes) {
    for (let end = hour + MINUTE_MS; end <= hour + HOUR_MS; end += MINUTE_MS) {
      ranges.push(`(${m}, ${end}, ${end - m * MINUTE_MS})`);
    }
  }
  return `CREATE OR REPLACE TEMP TABLE tops AS
WITH ranges(window_minutes, end_minute, start_minute) AS (VALUES ${ranges.join(', ')}),
sums AS (
  SELECT r.window_minutes, r.end_minute, c.slice, c.ad_id, sum(c.clicks)::BIGINT AS clicks
  FROM cells c JOIN ranges r ON c.minute >= r.start_minute AND c.minute < r.end_minute
  GROUP BY ALL
)
SELECT window_minutes, end_minute, slice, ad_id, clicks,
       row_number() OVER (PARTITION BY window_minutes, end_minute, slice ORDER BY clicks DESC, ad_id ASC) AS rank
FROM sums
QUALIFY rank <= ${definition.topN}`;
}

/** The hour's cells as stored (minute in the hour), for the view and `agg/minute`. */
export function hourCellsQuery(hour: number): string {
  return `SELECT ad_id, slice, minute::DOUBLE AS minute, clicks::INTEGER AS clicks FROM cells
WHERE minute >= ${hour} AND minute < ${hour + HOUR_MS}`;
}

export function copyAggMinuteSql(hour: number, file: string): string {
  return `COPY (SELECT ad_id, slice, make_timestamp(minute * 1000) AS minute, clicks FROM cells
WHERE minute >= ${hour} AND minute < ${hour + HOUR_MS} ORDER BY minute, slice, ad_id)
TO ${sqlString(file)} (FORMAT PARQUET, COMPRESSION ZSTD)`;
}

export function copyAggTopSql(file: string): string {
  return `COPY (SELECT window_minutes, slice, make_timestamp(end_minute * 1000) AS end_minute, rank, ad_id, clicks
FROM tops ORDER BY window_minutes, end_minute, slice, rank)
TO ${sqlString(file)} (FORMAT PARQUET, COMPRESSION ZSTD)`;
}
