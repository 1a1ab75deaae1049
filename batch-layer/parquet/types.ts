import type { RawClickRow, RejectedRow } from '../lake/types.ts';

/** Which library writes the lake's Parquet files. */
export type ParquetWriterKind = 'duckdb' | 'parquetjs';

/**
 * Writes lake rows to a local Parquet file. Both implementations produce files DuckDB reads with
 * the same column names, types and values (checked by a unit test), so either can fill the lake:
 *
 *   raw:      click_id, ad_id VARCHAR; click_timestamp TIMESTAMP (millisecond, UTC wall clock);
 *             user_id, ip, country VARCHAR; kafka_partition INTEGER; kafka_offset BIGINT
 *   rejected: kafka_partition INTEGER; kafka_offset BIGINT; kafka_timestamp TIMESTAMP;
 *             message_key VARCHAR (null when absent); reason VARCHAR; raw BLOB (original bytes)
 */
export interface ParquetWriter {
  readonly kind: ParquetWriterKind;
  writeRaw(rows: readonly RawClickRow[], filePath: string): Promise<void>;
  writeRejected(rows: readonly RejectedRow[], filePath: string): Promise<void>;
  close(): Promise<void>;
}

/** DuckDB column definitions of the raw lake (also the shape the recompute reads). */
export const RAW_COLUMNS_SQL =
  'click_id VARCHAR, ad_id VARCHAR, click_timestamp TIMESTAMP_MS, user_id VARCHAR, ip VARCHAR, ' +
  'country VARCHAR, kafka_partition INTEGER, kafka_offset BIGINT';

export const REJECTED_COLUMNS_SQL =
  'kafka_partition INTEGER, kafka_offset BIGINT, kafka_timestamp TIMESTAMP_MS, message_key VARCHAR, ' +
  'reason VARCHAR, raw BLOB';
