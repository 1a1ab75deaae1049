import { timestampMillisValue } from '@duckdb/node-api';
import { closeDuckDb, type DuckDbSession, duckDbError, openDuckDb, sqlString } from '../duckdb/duckdb.ts';
import type { RawClickRow, RejectedRow } from '../lake/types.ts';
import { type ParquetWriter, RAW_COLUMNS_SQL, REJECTED_COLUMNS_SQL } from './types.ts';

/**
 * The default writer: rows go through DuckDB's appender into a scratch table, then
 * `COPY … (FORMAT PARQUET)` writes the file (zstd-compressed). Calls are serialised because they
 * share one connection.
 */
export class DuckDbParquetWriter implements ParquetWriter {
  readonly kind = 'duckdb' as const;
  private session: Promise<DuckDbSession> | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  async writeRaw(rows: readonly RawClickRow[], filePath: string): Promise<void> {
    await this.serial(async ({ connection }) => {
      await connection.run(`CREATE OR REPLACE TABLE scratch_raw (${RAW_COLUMNS_SQL})`);
      const appender = await connection.createAppender('scratch_raw');
      for (const r of rows) {
        appender.appendVarchar(r.clickId);
        appender.appendVarchar(r.adId);
        appender.appendTimestampMilliseconds(timestampMillisValue(BigInt(r.timestampMs)));
        appender.appendVarchar(r.userId);
        appender.appendVarchar(r.ip);
        appender.appendVarchar(r.country);
        appender.appendInteger(r.kafkaPartition);
        appender.appendBigInt(r.kafkaOffset);
        appender.endRow();
      }
      appender.closeSync();
      await connection.run(
        `COPY scratch_raw TO ${sqlString(filePath)} (FORMAT PARQUET, COMPRESSION ZSTD, ROW_GROUP_SIZE 122880)`,
      );
      await connection.run('DROP TABLE scratch_raw');
    }, `writing ${filePath}`);
  }

  async writeRejected(rows: readonly RejectedRow[], filePath: string): Promise<void> {
    await this.serial(async ({ connection }) => {
      await connection.run(`CREATE OR REPLACE TABLE scratch_rejected (${REJECTED_COLUMNS_SQL})`);
      const appender = await connection.createAppender('scratch_rejected');
      for (const r of rows) {
        appender.appendInteger(r.kafkaPartition);
        appender.appendBigInt(r.kafkaOffset);
        appender.appendTimestampMilliseconds(timestampMillisValue(BigInt(r.kafkaTimestampMs)));
        if (r.key === null) appender.appendNull();
        else appender.appendVarchar(r.key);
        appender.appendVarchar(r.reason);
        appender.appendBlob(r.raw);
        appender.endRow();
      }
      appender.closeSync();
      await connection.run(
        `COPY scratch_rejected TO ${sqlString(filePath)} (FORMAT PARQUET, COMPRESSION ZSTD)`,
      );
      await connection.run('DROP TABLE scratch_rejected');
    }, `writing ${filePath}`);
  }

  async close(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    await this.queue.catch(() => undefined);
    if (session !== undefined) closeDuckDb(await session.catch(() => undefined));
  }

  private serial(work: (s: DuckDbSession) => Promise<void>, doing: string): Promise<void> {
    this.session ??= openDuckDb({ threads: 1 });
    const session = this.session;
    const run = this.queue.then(async () => {
      try {
        await work(await session);
      } catch (error) {
        throw duckDbError(error, doing);
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }
}
