import type { TopList } from '../../shared/aggregate-store/types.ts';
import type { AggregationDefinition } from '../../shared/aggregation/definition.ts';
import { HOUR_MS, MINUTE_MS } from '../../shared/aggregation/time.ts';
import { firstWindowMinute } from './sliding-top-n.ts';

/**
 * Which ads the recompute must rank so that every top list of the hour is exact, without a pass
 * over every (slice, ad) pair.
 *
 * Candidates S: per slice and minute t, the ads of the K largest cells (K ≥ N, ties cut anywhere)
 * and, where the K-th count equals the N-th (near-equal counts, where the cut would leave outsiders
 * level with the listed), every ad with that count. Let b(t) be 0 when fewer than K ads have a
 * cell in t (all of them are in S), else the K-th count minus one where its ties were all taken,
 * else the K-th count. An ad outside S has at most b(t) clicks in minute t: no cell in the first
 * case; fewer clicks than every tied ad of S in the second (counts are integers); no more than the
 * K-th count in the third, not being among the K largest. Over a window W its sum is therefore at
 * most C(W) = Σ_{t ∈ W} b(t).
 *
 * Rank S exactly (every cell of its pairs) and let s(W) be the N-th count of W's list over S (0
 * when that list is shorter than N). W is settled when C(W) < s(W) — N ads of S beat every ad
 * outside S strictly, so no tie rule lets one in — or when C(W) = 0 — no ad outside S has a click
 * in W, and zero sums are never listed. The true list of a settled W holds only S ads, ranked
 * among themselves exactly as among all ads, so the list over S IS the true list.
 *
 * For an unsettled W the recompute adds every ad with a cell in one of W's minutes and ranks
 * again: an ad without a cell in W has a zero sum there, so W's list over the larger set is exact,
 * and the settled windows stay exact because the larger set still contains S.
 *
 * Returns, per slice with an unsettled window, the start (epoch ms) of every minute such a window
 * covers; an empty map means the lists over S are final.
 *
 * @param bounds per slice, b(t) for the minutes of `rankingSpan` (index 0 is its first minute);
 *   a slice missing from the map has no cells in the span.
 */
export function unsettledMinutes(
  lists: readonly TopList[],
  bounds: ReadonlyMap<string, Float64Array>,
  slices: readonly string[],
  hour: number,
  definition: AggregationDefinition,
): Map<string, number[]> {
  const { from, span } = rankingSpan(hour, definition);
  const n = definition.topN;
  const nth = new Map<string, number>();
  for (const l of lists)
    if (l.ads.length >= n) nth.set(`${l.windowMinutes}|${l.slice}|${l.endMinute}`, l.ads[n - 1]!.count);
  const out = new Map<string, number[]>();
  for (const slice of slices) {
    const counts = bounds.get(slice);
    if (counts === undefined) continue;
    // Prefix sums turn each C(W) into one subtraction (counts are integers: sums stay exact).
    const prefix = new Float64Array(span + 1);
    for (let t = 0; t < span; t++) prefix[t + 1] = prefix[t]! + (counts[t] ?? 0);
    const covered = new Uint8Array(span);
    let any = false;
    for (const size of definition.windowsMinutes) {
      for (let end = hour + MINUTE_MS; end <= hour + HOUR_MS; end += MINUTE_MS) {
        const last = (end - from) / MINUTE_MS;
        const bound = prefix[last]! - prefix[last - size]!;
        if (bound === 0 || bound < (nth.get(`${size}|${slice}|${end}`) ?? 0)) continue;
        covered.fill(1, last - size, last);
        any = true;
      }
    }
    if (!any) continue;
    const minutes: number[] = [];
    for (let t = 0; t < span; t++) if (covered[t] === 1) minutes.push(from + t * MINUTE_MS);
    out.set(slice, minutes);
  }
  return out;
}

/** Minutes the ranking covers for `hour`: from `firstWindowMinute` to the hour's end. */
export function rankingSpan(hour: number, definition: AggregationDefinition): { from: number; span: number } {
  const from = firstWindowMinute(hour, definition);
  return { from, span: (hour + HOUR_MS - from) / MINUTE_MS };
}
