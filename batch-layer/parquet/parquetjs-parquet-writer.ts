import parquet from 'parquetjs-lite';
import type { RawClickRow, RejectedRow } from '../lake/types.ts';
import type { ParquetWriter } from './types.ts';

// parquetjs-lite writes the legacy converted types (TIMESTAMP_MILLIS, UTF8), which DuckDB reads
// as TIMESTAMP and VARCHAR: the same types the DuckDB writer's TIMESTAMP_MS / VARCHAR give.
const RAW_SCHEMA = new parquet.ParquetSchema({
  click_id: { type: 'UTF8', compression: 'SNAPPY' },
  ad_id: { type: 'UTF8', compression: 'SNAPPY' },
  click_timestamp: { type: 'TIMESTAMP_MILLIS', compression: 'SNAPPY' },
  user_id: { type: 'UTF8', compression: 'SNAPPY' },
  ip: { type: 'UTF8', compression: 'SNAPPY' },
  country: { type: 'UTF8', compression: 'SNAPPY' },
  kafka_partition: { type: 'INT32', compression: 'SNAPPY' },
  kafka_offset: { type: 'INT64', compression: 'SNAPPY' },
});

const REJECTED_SCHEMA = new parquet.ParquetSchema({
  kafka_partition: { type: 'INT32' },
  kafka_offset: { type: 'INT64' },
  kafka_timestamp: { type: 'TIMESTAMP_MILLIS' },
  message_key: { type: 'UTF8', optional: true },
  reason: { type: 'UTF8' },
  raw: { type: 'BYTE_ARRAY' },
});

/** The pure-JavaScript writer option (no native code); slower and larger files than DuckDB's. */
export class ParquetjsParquetWriter implements ParquetWriter {
  readonly kind = 'parquetjs' as const;

  async writeRaw(rows: readonly RawClickRow[], filePath: string): Promise<void> {
    const writer = await parquet.ParquetWriter.openFile(RAW_SCHEMA, filePath);
    for (const r of rows) {
      await writer.appendRow({
        click_id: r.clickId,
        ad_id: r.adId,
        click_timestamp: new Date(r.timestampMs),
        user_id: r.userId,
        ip: r.ip,
        country: r.country,
        kafka_partition: r.kafkaPartition,
        // parquetjs-lite's INT64 takes a JS number; Kafka offsets stay far below 2^53.
        kafka_offset: Number(r.kafkaOffset),
      });
    }
    await writer.close();
  }

  async writeRejected(rows: readonly RejectedRow[], filePath: string): Promise<void> {
    const writer = await parquet.ParquetWriter.openFile(REJECTED_SCHEMA, filePath);
    for (const r of rows) {
      const row: Record<string, unknown> = {
        kafka_partition: r.kafkaPartition,
        kafka_offset: Number(r.kafkaOffset),
        kafka_timestamp: new Date(r.kafkaTimestampMs),
        reason: r.reason,
        raw: Buffer.from(r.raw),
      };
      if (r.key !== null) row.message_key = r.key;
      await writer.appendRow(row);
    }
    await writer.close();
  }

  async close(): Promise<void> {}
}
