import { closeDuckDb, openDuckDb, sqlStringList } from '../../batch-layer/duckdb/duckdb.ts';
import { PACKED_KAFKA_ORDER } from '../../batch-layer/recompute/cells-sql.ts';

/** How a peer query keeps one copy of each click_id. */
export type PeerDedup = 'any' | 'first-copy';

/**
 * The peer: ONE plain DuckDB statement over the same files computing the same per-minute cells —
 * dedup by click_id, then counts per (ad_id, minute) for `all` and per (ad_id, country, minute) —
 * with no top-N, no hour bounds and nothing read back into JavaScript.
 *
 * `any` keeps whichever copy DuckDB meets first (`any_value`): the cheapest dedup, but which copy
 * wins depends on thread scheduling, so a click_id reused with another ad, time or country (a
 * buggy client) could be counted under either from one run to the next. `first-copy` keeps the
 * copy first in Kafka order, the batch layer's rule (`cells-sql.ts`), with the same packed order
 * key: the price of a recompute that gives the same answer every time.
 */
export function peerSql(files: readonly string[], dedup: PeerDedup = 'any'): string {
  const pick = (column: string) =>
    dedup === 'any' ? `any_value(${column})` : `arg_min(${column}, ${PACKED_KAFKA_ORDER})`;
  return `CREATE OR REPLACE TEMP TABLE peer AS
WITH d AS (
  SELECT click_id, ${pick('ad_id')} AS ad_id, ${pick('country')} AS country,
         ${pick('click_timestamp')} AS ts
  FROM read_parquet(${sqlStringList(files)})
  GROUP BY click_id
)
SELECT ad_id, coalesce('country=' || country, 'all') AS slice, date_trunc('minute', ts) AS minute,
       count(*) AS clicks
FROM d
GROUP BY GROUPING SETS ((ad_id, minute), (ad_id, country, minute))`;
}

/** Times the peer statement in a fresh in-memory DuckDB (same settings as the engine's). */
export async function timePeer(
  files: readonly string[],
  dedup: PeerDedup = 'any',
): Promise<{ seconds: number; cells: number; clicks: number }> {
  const session = await openDuckDb();
  try {
    const started = performance.now();
    await session.connection.run(peerSql(files, dedup));
    const seconds = (performance.now() - started) / 1000;
    const [cells, clicks] = (
      await session.connection.runAndReadAll(
        "SELECT count(*)::DOUBLE, coalesce(sum(clicks) FILTER (WHERE slice = 'all'), 0)::DOUBLE FROM peer",
      )
    ).getRows()[0] as [number, number];
    return { seconds, cells, clicks };
  } finally {
    closeDuckDb(session);
  }
}
