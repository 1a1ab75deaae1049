import { type Client, concurrent } from 'cassandra-driver';
import { translateCassandraError } from './errors.ts';

/** Statements in flight at once: enough to hide round trips, few enough not to flood one node. */
export const WRITE_CONCURRENCY = 64;

/**
 * Runs one prepared statement once per parameter row, `concurrencyLevel` at a time, translating a
 * failure into an `AdclickError` that names `operation`.
 */
export async function writeConcurrently(
  client: Client,
  query: string,
  params: readonly unknown[][],
  operation: string,
  concurrencyLevel: number = WRITE_CONCURRENCY,
): Promise<void> {
  if (params.length === 0) return;
  try {
    await concurrent.executeConcurrent(client, query, params as unknown[][], { concurrencyLevel });
  } catch (error) {
    throw translateCassandraError(error, { operation });
  }
}
