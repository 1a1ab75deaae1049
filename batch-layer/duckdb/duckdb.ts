import { type DuckDBConnection, DuckDBInstance, type DuckDBVector } from '@duckdb/node-api';
import { AdclickError, ErrorCodes } from '../../shared/errors/errors.ts';

/** An in-process DuckDB database and one connection to it (one per component; never shared). */
export interface DuckDbSession {
  instance: DuckDBInstance;
  connection: DuckDBConnection;
}

/**
 * Opens an in-memory DuckDB pinned to UTC (the lake's timestamps are UTC wall-clock values, and
 * `date_trunc` must not shift them). `threads` 0 keeps DuckDB's default (one per core).
 */
export async function openDuckDb(
  options: { threads?: number; memoryLimit?: string } = {},
): Promise<DuckDbSession> {
  try {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    await connection.run("SET TimeZone = 'UTC'");
    if (options.threads !== undefined && options.threads > 0)
      await connection.run(`SET threads = ${options.threads}`);
    if (options.memoryLimit !== undefined)
      await connection.run(`SET memory_limit = ${sqlString(options.memoryLimit)}`);
    return { instance, connection };
  } catch (error) {
    throw duckDbError(error, 'opening DuckDB');
  }
}

export function closeDuckDb(session: DuckDbSession | undefined): void {
  if (session === undefined) return;
  session.connection.closeSync();
  session.instance.closeSync();
}

/** DuckDB's errors in adclick terms: a failed local query is a bug or a bad file, never retryable. */
export function duckDbError(error: unknown, doing: string): AdclickError {
  if (error instanceof AdclickError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new AdclickError(ErrorCodes.INTERNAL, `DuckDB failed ${doing}: ${message}`, { cause: error });
}

/** A SQL string literal. */
export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** A SQL list of string literals, e.g. for `read_parquet([...])`. */
export function sqlStringList(values: readonly string[]): string {
  return `[${values.map(sqlString).join(', ')}]`;
}

/**
 * Runs a query whose columns are all numeric (INTEGER or DOUBLE) and returns them as typed arrays,
 * chunk by chunk: millions of cells come back without one JavaScript value per cell.
 */
export async function readNumberColumns(
  connection: DuckDBConnection,
  sql: string,
  columns: number,
): Promise<Float64Array[]> {
  const result = await connection.run(sql);
  let out = Array.from({ length: columns }, () => new Float64Array(1 << 16));
  let rows = 0;
  for (;;) {
    const chunk = await result.fetchChunk();
    if (chunk === null || chunk.rowCount === 0) break;
    const n = chunk.rowCount;
    if (rows + n > out[0]!.length) {
      const grown = Math.max(rows + n, out[0]!.length * 2);
      out = out.map((a) => {
        const b = new Float64Array(grown);
        b.set(a.subarray(0, rows));
        return b;
      });
    }
    for (let c = 0; c < columns; c++) copyNumbers(chunk.getColumnVector(c), n, out[c]!, rows);
    rows += n;
  }
  return out.map((a) => a.subarray(0, rows));
}

/**
 * Copies a numeric vector of `n` items into `target` at `at`, nulls as 0. INTEGER and DOUBLE
 * vectors keep their items in a typed array over the chunk's memory (not in node-api's typings):
 * one bulk copy instead of a call per item, when the vector has no nulls.
 */
export function copyNumbers(vector: DuckDBVector, n: number, target: Float64Array, at: number): void {
  const raw = vector as unknown as {
    items?: unknown;
    validity?: { itemValid(i: number): boolean; data?: unknown };
  };
  const items = raw.items;
  const allValid = raw.validity !== undefined && raw.validity.data == null;
  if (allValid && (items instanceof Float64Array || items instanceof Int32Array) && items.length >= n) {
    target.set(items.length === n ? items : items.subarray(0, n), at);
    return;
  }
  for (let i = 0; i < n; i++) target[at + i] = (vector.getItem(i) as number | null) ?? 0;
}
