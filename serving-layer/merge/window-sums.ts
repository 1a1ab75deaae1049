import { type AdCount, compareAdCounts, entriesOf, topN } from '../../shared/aggregation/top-n.ts';

/** Per-ad sums of a set of minutes, also ranked, so the best of them are read off in order. */
export interface RankedSums {
  totals: ReadonlyMap<string, number>;
  /** Every ad of `totals`, most clicks first, ties by ad id ascending (`compareAdCounts`). */
  ranked: readonly AdCount[];
}

/** Adds every list into `into` (per ad), optionally only the ads `keep` accepts. */
export function addLists(
  into: Map<string, number>,
  lists: Iterable<readonly AdCount[]>,
  keep?: (adId: string) => boolean,
): Map<string, number> {
  for (const list of lists) {
    for (const { adId, count } of list) {
      if (keep !== undefined && !keep(adId)) continue;
      into.set(adId, (into.get(adId) ?? 0) + count);
    }
  }
  return into;
}

/** `totals` with its full ranking. */
export function ranked(totals: Map<string, number>): RankedSums {
  return { totals, ranked: [...entriesOf(totals)].sort(compareAdCounts) };
}

/**
 * The exact top `n` of `base + extra` (per-ad sums) without adding the two maps: an ad absent from
 * `extra` keeps its `base` sum, so the best of those are the first `n` of `base.ranked` that
 * `extra` does not touch; every ad of `extra` is summed. Costs O(n + |extra|) instead of the size
 * of `base` — what makes a window whose closed minutes are cached cheap to re-rank while its
 * newest minutes change.
 */
export function topOfSum(base: RankedSums, extra: ReadonlyMap<string, number>, n: number): AdCount[] {
  const candidates: AdCount[] = [];
  for (const [adId, count] of extra) candidates.push({ adId, count: count + (base.totals.get(adId) ?? 0) });
  let taken = 0;
  for (const a of base.ranked) {
    if (taken >= n) break;
    if (extra.has(a.adId)) continue;
    candidates.push(a);
    taken++;
  }
  return topN(candidates, n);
}
