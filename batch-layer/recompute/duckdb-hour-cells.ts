import type { DuckDBConnection } from '@duckdb/node-api';
import type { HourCells, MinuteCount } from '../../shared/aggregate-store/types.ts';
import { copyNumbers, duckDbError } from '../duckdb/duckdb.ts';
import { hourCellsQuery } from './recompute-sql.ts';

/**
 * An hour's cells left in the engine's DuckDB `cells` table and read only when the batch view
 * writer asks, batch by batch: millions of cell objects never exist at once, and reading them is
 * part of the write, not of the recompute. Valid until the engine computes another hour or closes;
 * after that, reading throws instead of returning another hour's cells.
 */
export class DuckDbHourCells implements HourCells {
  constructor(
    private readonly connection: DuckDBConnection,
    private readonly hour: number,
    readonly size: number,
    readonly slices: readonly string[],
    private readonly stillValid: () => boolean,
  ) {}

  async *batches(batchSize = 100_000): AsyncGenerator<readonly MinuteCount[]> {
    this.#check();
    let batch: MinuteCount[] = [];
    let minutes = new Float64Array(2048);
    let counts = new Float64Array(2048);
    try {
      const result = await this.connection.run(hourCellsQuery(this.hour));
      for (;;) {
        this.#check();
        const chunk = await result.fetchChunk();
        if (chunk === null || chunk.rowCount === 0) break;
        const n = chunk.rowCount;
        if (n > minutes.length) {
          minutes = new Float64Array(n);
          counts = new Float64Array(n);
        }
        const adIds = chunk.getColumnVector(0);
        const slices = chunk.getColumnVector(1);
        copyNumbers(chunk.getColumnVector(2), n, minutes, 0);
        copyNumbers(chunk.getColumnVector(3), n, counts, 0);
        for (let i = 0; i < n; i++) {
          batch.push({
            adId: adIds.getItem(i) as string,
            slice: slices.getItem(i) as string,
            minute: minutes[i]!,
            count: counts[i]!,
          });
        }
        if (batch.length >= batchSize) {
          yield batch;
          batch = [];
        }
      }
    } catch (error) {
      throw duckDbError(error, `reading the cells of hour ${new Date(this.hour).toISOString()}`);
    }
    if (batch.length > 0) yield batch;
  }

  #check(): void {
    if (!this.stillValid())
      throw duckDbError(
        new Error('the engine has moved on to another hour or closed'),
        `reading the cells of hour ${new Date(this.hour).toISOString()}`,
      );
  }
}
