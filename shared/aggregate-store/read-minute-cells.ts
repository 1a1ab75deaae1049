import type { Client, types } from 'cassandra-driver';
import { translateCassandraError } from '../cassandra/errors.ts';
import type { MinuteCount, TopList } from './types.ts';

/**
 * Reads one ad's cells from several hour partitions at once (one prepared `query` per entry of
 * `paramsPerHour`, each selecting `minute, count`), in minute order.
 */
export async function readMinuteCells(
  client: Client,
  query: string,
  paramsPerHour: readonly unknown[][],
  cell: { adId: string; slice: string },
  operation: string,
): Promise<MinuteCount[]> {
  try {
    const pages = await Promise.all(
      paramsPerHour.map(async (params) => {
        const rs = await client.execute(query, params, { prepare: true });
        return rs.rows.map((r) => ({
          ...cell,
          minute: (r.minute as Date).getTime(),
          count: Number(r.count),
        }));
      }),
    );
    return pages.flat().sort((a, b) => a.minute - b.minute);
  } catch (error) {
    throw translateCassandraError(error, { operation });
  }
}

/** A stored top list from its row (`ad_ids`, `counts` lists), or `undefined` when there is none. */
export function topListOfRow(
  row: types.Row | null,
  key: { windowMinutes: number; slice: string; endMinute: number },
): TopList | undefined {
  if (row === null) return undefined;
  const ids = (row.ad_ids as string[] | null) ?? [];
  const counts = (row.counts as types.Long[] | null) ?? [];
  return { ...key, ads: ids.map((adId, i) => ({ adId, count: Number(counts[i]) })) };
}
