import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { AdclickError, ErrorCodes } from '../../shared/errors/errors.ts';

/** Rows of a query with their column names, values as JSON-safe (big numbers as strings). */
export interface QueryResult {
  columns: string[];
  rows: unknown[][];
}

export type ExportFormat = 'csv' | 'json' | 'parquet';

const quote = (s: string) => `'${s.replaceAll("'", "''")}'`;
const list = (paths: readonly string[]) => `[${paths.map(quote).join(', ')}]`;

/** Column types of empty views, so queries over a range with no files still plan. */
const RAW_EMPTY = `SELECT NULL::VARCHAR AS click_id, NULL::VARCHAR AS ad_id, NULL::TIMESTAMP AS click_timestamp,
  NULL::VARCHAR AS user_id, NULL::VARCHAR AS ip, NULL::VARCHAR AS country, NULL::INTEGER AS kafka_partition,
  NULL::BIGINT AS kafka_offset, NULL::VARCHAR AS dt, NULL::VARCHAR AS hour WHERE false`;
const AGG_EMPTY = `SELECT NULL::VARCHAR AS ad_id, NULL::VARCHAR AS slice, NULL::TIMESTAMP AS minute,
  NULL::BIGINT AS clicks, NULL::VARCHAR AS dt, NULL::VARCHAR AS hour WHERE false`;

/**
 * An in-memory DuckDB over local copies of lake files, with the views data scientists query:
 * `raw_clicks` (raw lake) and `agg_minute` (batch aggregates per minute). Files are only read.
 */
export class DuckDbLakeQuery {
  #instance: DuckDBInstance | undefined;
  #connection: DuckDBConnection | undefined;

  async open(rawFiles: readonly string[], aggMinuteFiles: readonly string[]): Promise<void> {
    this.#instance = await DuckDBInstance.create(':memory:');
    this.#connection = await this.#instance.connect();
    await this.#run("SET TimeZone = 'UTC'");
    const view = (files: readonly string[], empty: string) =>
      files.length === 0
        ? empty
        : `SELECT * FROM read_parquet(${list(files)}, hive_partitioning = true, union_by_name = true)`;
    await this.#run(`CREATE VIEW raw_clicks AS ${view(rawFiles, RAW_EMPTY)}`);
    await this.#run(`CREATE VIEW agg_minute AS ${view(aggMinuteFiles, AGG_EMPTY)}`);
  }

  /** Runs one statement and returns its rows. */
  async query(sql: string): Promise<QueryResult> {
    const reader = await this.#conn()
      .runAndReadAll(sql)
      .catch((e: unknown) => {
        throw queryError(e);
      });
    return { columns: reader.columnNames(), rows: reader.getRowsJson() as unknown[][] };
  }

  /** Writes the result of `sql` to a local file with DuckDB's COPY. */
  async export(sql: string, format: ExportFormat, out: string): Promise<void> {
    const options =
      format === 'csv'
        ? 'FORMAT csv, HEADER true'
        : format === 'json'
          ? 'FORMAT json, ARRAY true'
          : 'FORMAT parquet';
    await this.#run(`COPY (${sql.trim().replace(/;\s*$/, '')}) TO ${quote(out)} (${options})`);
  }

  close(): void {
    this.#connection?.closeSync();
    this.#instance?.closeSync();
    this.#connection = undefined;
    this.#instance = undefined;
  }

  async #run(sql: string): Promise<void> {
    try {
      await this.#conn().run(sql);
    } catch (e) {
      throw queryError(e);
    }
  }

  #conn(): DuckDBConnection {
    if (this.#connection === undefined) throw new AdclickError(ErrorCodes.NOT_STARTED, 'DuckDB is not open');
    return this.#connection;
  }
}

/** A failed query is the user's SQL (or a bad file): shown as it is, never retried. */
function queryError(e: unknown): AdclickError {
  if (e instanceof AdclickError) return e;
  return new AdclickError(ErrorCodes.INVALID_INPUT, e instanceof Error ? e.message : String(e), { cause: e });
}
