import { closeDuckDb, openDuckDb } from '../../batch-layer/duckdb/duckdb.ts';
import {
  cellsSql,
  clicksSql,
  copyAggMinuteSql,
  copyAggTopSql,
  hourCellsQuery,
  topsSql,
} from '../../batch-layer/recompute/recompute-sql.ts';
import type { AggregationDefinition } from '../../shared/aggregation/definition.ts';

/**
 * Where the recompute's time goes: the engine's own statements (from recompute-sql.ts), run one
 * by one in a fresh DuckDB and timed separately. Seconds per stage.
 */
export async function timeStages(input: {
  hour: number;
  files: readonly string[];
  definition: AggregationDefinition;
  aggMinuteFile: string;
  aggTopFile: string;
}): Promise<Record<string, number>> {
  const session = await openDuckDb();
  const { connection } = session;
  const out: Record<string, number> = {};
  const time = async (name: string, work: () => Promise<unknown>) => {
    const t = performance.now();
    await work();
    out[name] = Number(((performance.now() - t) / 1000).toFixed(2));
  };
  try {
    await time('dedup (clicks table)', () =>
      connection.run(clicksSql({ hour: input.hour, files: input.files })),
    );
    await time('cells table', () => connection.run(cellsSql(input.definition)));
    await time('top-N table', () => connection.run(topsSql(input.hour, input.definition)));
    await time('read cells into Node', () => connection.runAndReadAll(hourCellsQuery(input.hour)));
    await time('read top lists into Node', () => connection.runAndReadAll('SELECT * FROM tops'));
    await time('agg/minute Parquet', () => connection.run(copyAggMinuteSql(input.hour, input.aggMinuteFile)));
    await time('agg/top Parquet', () => connection.run(copyAggTopSql(input.aggTopFile)));
    return out;
  } finally {
    closeDuckDb(session);
  }
}
