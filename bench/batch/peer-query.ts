import { closeDuckDb, openDuckDb, sqlStringList } from '../../batch-layer/duckdb/duckdb.ts';

/**
 * The peer: ONE plain DuckDB statement over the same files computing the same per-minute cells —
 * dedup by click_id, then counts per (ad_id, minute) for `all` and per (ad_id, country, minute) —
 * with no top-N, no hour bounds and nothing read back into JavaScript.
 */
export function peerSql(files: readonly string[]): string {
  return `CREATE OR REPLACE TEMP TABLE peer AS
WITH d AS (
  SELECT click_id, any_value(ad_id) AS ad_id, any_value(country) AS country,
         any_value(click_timestamp) AS ts
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
): Promise<{ seconds: number; cells: number; clicks: number }> {
  const session = await openDuckDb();
  try {
    const started = performance.now();
    await session.connection.run(peerSql(files));
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
