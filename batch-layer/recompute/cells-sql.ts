import {
  type AggregationDefinition,
  ALL_SLICE,
  DIMENSIONS,
  type Dimension,
} from '../../shared/aggregation/definition.ts';
import { HOUR_MS } from '../../shared/aggregation/time.ts';
import { sqlStringList } from '../duckdb/duckdb.ts';

/**
 * The dedup and per-minute counting of the batch layer (DuckDB dialect): `cellsSql` makes the
 * `cells` table (ad_id, slice, minute as epoch ms, clicks) that the rest of `recompute-sql.ts`
 * reads.
 *
 * Dedup rule: a click is identified by `click_id` within the hour of its event time. Retries of
 * one click carry the same event time, so they always meet in the same hour and count once. If a
 * buggy client reuses a `click_id` with a different ad, country or time inside one hour, the row
 * that came first in Kafka order — lowest `kafka_partition`, then lowest `kafka_offset` — wins.
 * Deduplicating per hour keeps every hour's recompute independent of every other hour's files
 * (the files read span the hour and the one before, so "which hour" is one comparison).
 *
 * Dedup and counting are ONE statement, so the deduplicated clicks stream through DuckDB's
 * pipeline instead of being materialised as a table and scanned again. Two choices measured on
 * 10.5M rows (bench:batch), both exact rewrites:
 * - the minute (epoch ms, `date_trunc`) is taken per raw row, inside the dedup's `arg_min`: the
 *   winner's minute is the minute of the winner's time, so it is the same value as truncating
 *   after the dedup, and the counting groups plain integers;
 * - the clicks are counted ONCE at the finest grain, (ad_id, minute, every dimension), and every
 *   slice is summed from those counts: a count per (ad, minute, country) summed over countries is
 *   the count per (ad, minute), as a sum of disjoint parts. GROUPING SETS hashed each of the 10M
 *   deduplicated clicks once per slice kind; this hashes them once, and the `all` slice sums the
 *   ~3M fine counts instead. With one dimension, its slice IS the fine grain: no second grouping.
 *   A NULL dimension value keeps its meaning: its own fine group, NULL slice key, counted in `all`.
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
  const dims = [...new Set(input.definition.dimensions)];
  const columns = [...new Set(dims.map((d) => DIMENSIONS[d]))];
  // Kafka order as one fixed-width number (partition in the high bits): arg_min over it is much
  // cheaper than over a struct of the two, and over a BIGINT cheaper than over a HUGEINT.
  const kafkaOrder = input.packedOrder
    ? PACKED_KAFKA_ORDER
    : '(kafka_partition::HUGEINT << 64) + kafka_offset';
  const picked = [
    ['ad_id', 'ad_id'],
    ['minute', "epoch_ms(date_trunc('minute', click_timestamp))"],
    ...columns.map((c) => [c, c]),
  ];
  const fineKeys = ['ad_id', 'minute', ...columns].join(', ');
  const slice = (d: Dimension) =>
    dims.length === 1
      ? `SELECT ad_id, '${d}=' || ${DIMENSIONS[d]} AS slice, minute, clicks FROM fine`
      : `SELECT ad_id, '${d}=' || ${DIMENSIONS[d]} AS slice, minute, sum(clicks)::BIGINT AS clicks
FROM fine GROUP BY ad_id, minute, ${DIMENSIONS[d]}`;
  return `CREATE OR REPLACE TABLE cells AS
WITH clicks AS (
  SELECT ${picked.map(([name, value]) => `arg_min(${value}, ${kafkaOrder}) AS ${name}`).join(', ')}
  FROM read_parquet(${sqlStringList(input.files)}, union_by_name = true)
  WHERE click_timestamp >= make_timestamp(${from * 1000}::BIGINT)
    AND click_timestamp < make_timestamp(${to * 1000}::BIGINT)
  GROUP BY click_id, click_timestamp >= make_timestamp(${input.hour * 1000}::BIGINT)
),
fine AS MATERIALIZED (SELECT ${fineKeys}, count(*)::BIGINT AS clicks FROM clicks GROUP BY ${fineKeys})
SELECT ad_id, '${ALL_SLICE}' AS slice, minute, ${dims.length === 0 ? 'clicks' : 'sum(clicks)::BIGINT AS clicks'}
FROM fine${dims.length === 0 ? '' : ' GROUP BY ad_id, minute'}
${dims.map((d) => `UNION ALL\n${slice(d)}`).join('\n')}`;
}

/** Offsets below 2^47 (140 trillion) and partitions below 2^16 pack into one non-negative BIGINT. */
const OFFSET_BITS = 47;
const PARTITION_BITS = 16;
/**
 * Kafka order as one BIGINT, partition in the high bits, for files where `packedKafkaOrderFits`:
 * the dedup's `arg_min` key (and the bench's first-copy peer's).
 */
export const PACKED_KAFKA_ORDER = `(kafka_partition::BIGINT << ${OFFSET_BITS}) + kafka_offset`;

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
