import type { TopList } from '../../shared/aggregate-store/types.ts';
import type { AggregationDefinition } from '../../shared/aggregation/definition.ts';
import { HOUR_MS, MINUTE_MS } from '../../shared/aggregation/time.ts';
import { firstWindowMinute } from './sliding-top-n.ts';

/**
 * Floors that let the recompute leave most ads out of the top-N ranking, exactly.
 *
 * First the lists are ranked over a small subset of the ads (every ad in some minute's top N).
 * For a window W, the N-th count of the subset's list, s(W) (0 when that list is shorter than N),
 * is at most the N-th best sum over all ads: the subset's N ads behind it are among all ads. An ad
 * whose sum over W is below s(W) is beaten by N others, so it is not listed for W whatever the
 * tie rule. An ad is listed for W only if it has a cell in some minute t of W (zero sums are never
 * listed). Over a window of M minutes its sum is at most UB_M = min(T, M × P), T being its total
 * over every minute the windows reach and P its largest count in one minute. So with
 * F_M(t) = min of s(W) over the M-minute windows W that cover t, an ad with
 * UB_M < min of F_M(t) over the minutes t it has cells in, for every window length M, is in no
 * list of the hour: leaving it out of the ranking changes no list. Ads at equality stay (ties).
 *
 * Returns, per slice, one array per entry of `definition.windowsMinutes` holding F_M(t) for the
 * minutes from `firstWindowMinute` on (+∞ where no M-minute window covers t, which never prunes
 * wrongly: such a minute puts the ad in no M-minute list).
 */
export function windowFloors(
  subsetLists: readonly TopList[],
  slices: readonly string[],
  hour: number,
  definition: AggregationDefinition,
): Map<string, Float64Array[]> {
  const { from, span } = rankingSpan(hour, definition);
  const n = definition.topN;
  const nth = new Map<string, number>();
  for (const l of subsetLists)
    if (l.ads.length >= n) nth.set(`${l.windowMinutes}|${l.slice}|${l.endMinute}`, l.ads[n - 1]!.count);
  const out = new Map<string, Float64Array[]>();
  for (const slice of slices) {
    const perWindow = definition.windowsMinutes.map((size) => {
      const floors = new Float64Array(span).fill(Number.POSITIVE_INFINITY);
      for (let end = hour + MINUTE_MS; end <= hour + HOUR_MS; end += MINUTE_MS) {
        const s = nth.get(`${size}|${slice}|${end}`) ?? 0;
        const last = (end - from) / MINUTE_MS;
        for (let t = Math.max(0, last - size); t < last; t++) if (s < floors[t]!) floors[t] = s;
      }
      return floors;
    });
    out.set(slice, perWindow);
  }
  return out;
}

/** Minutes the ranking covers for `hour`: from `firstWindowMinute` to the hour's end. */
export function rankingSpan(hour: number, definition: AggregationDefinition): { from: number; span: number } {
  const from = firstWindowMinute(hour, definition);
  return { from, span: (hour + HOUR_MS - from) / MINUTE_MS };
}
