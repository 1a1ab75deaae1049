import { type AggregationDefinition, slicesSql } from '../../shared/aggregation/definition.ts';
import { HOUR_MS, MINUTE_MS } from '../../shared/aggregation/time.ts';
import { DuckDbLakeQuery } from '../sql/duckdb-lake-query.ts';
import type { LakeCache } from '../sql/lake-cache.ts';
import { cellKey, type LakeCellEvidence, type LakeEvidence } from './types.ts';

export interface DuckDbLakeEvidenceOptions {
  cache: LakeCache;
  definition: AggregationDefinition;
  /** The speed layer's allowed lateness: watermark = max event time seen − this. */
  allowedLatenessMs: number;
  /** Prefix the lake lives under in the bucket (tests), default none. */
  root?: string;
}

/**
 * Reads the raw lake with DuckDB to say, per cell, how many distinct clicks there were and how many
 * the speed layer must have left out as late. It replays the speed layer's rule: per Kafka
 * partition in offset order, a click is late when the largest event time seen before it, minus the
 * allowed lateness, has reached the end of its minute. Clicks that advanced the watermark may sit in
 * the next hour's files, so one hour past the range is read too.
 */
export class DuckDbLakeEvidence implements LakeEvidence {
  readonly #o: DuckDbLakeEvidenceOptions;

  constructor(options: DuckDbLakeEvidenceOptions) {
    this.#o = options;
  }

  async cells(from: number, to: number): Promise<Map<string, LakeCellEvidence>> {
    const objects = await this.#o.cache.list('raw/', { from, to: to + HOUR_MS }, this.#o.root);
    const files = await this.#o.cache.sync(objects);
    const db = new DuckDbLakeQuery();
    try {
      await db.open(files, []);
      const result = await db.query(`
        WITH seen AS (
          SELECT click_id, ad_id, country, epoch_ms(click_timestamp) AS t,
            max(epoch_ms(click_timestamp)) OVER (PARTITION BY kafka_partition ORDER BY kafka_offset
              ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS max_before,
            row_number() OVER (PARTITION BY click_id ORDER BY kafka_partition, kafka_offset) AS nth
          FROM raw_clicks
        ), firsts AS (
          SELECT *, (t // ${MINUTE_MS}) * ${MINUTE_MS} AS minute FROM seen WHERE nth = 1 AND t >= ${from} AND t < ${to}
        )
        SELECT ad_id, slice, minute::DOUBLE AS minute, count(*)::INTEGER AS raw,
          count(*) FILTER (WHERE max_before IS NOT NULL AND max_before - ${this.#o.allowedLatenessMs} >= minute + ${MINUTE_MS})::INTEGER AS late
        FROM (SELECT ad_id, minute, max_before, UNNEST(${slicesSql(this.#o.definition)}) AS slice FROM firsts)
        GROUP BY ALL`);
      const out = new Map<string, LakeCellEvidence>();
      for (const [adId, slice, minute, raw, late] of result.rows as [
        string,
        string,
        number,
        number,
        number,
      ][]) {
        out.set(cellKey(adId, slice, Number(minute)), { raw: Number(raw), late: Number(late) });
      }
      return out;
    } finally {
      db.close();
    }
  }
}
