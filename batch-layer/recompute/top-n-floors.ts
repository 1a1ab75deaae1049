import type { AggregationDefinition } from '../../shared/aggregation/definition.ts';
import { HOUR_MS, MINUTE_MS } from '../../shared/aggregation/time.ts';
import { firstWindowMinute } from './sliding-top-n.ts';

/**
 * Floors that let the recompute leave most ads out of the top-N ranking, exactly.
 *
 * Let k(t) be the N-th largest cell count of a slice in minute t (0 when fewer than N ads have a
 * cell there). For any window W of the slice, the N ads behind k(t), t ∈ W, each sum to at least
 * k(t) over W, so the N-th best sum of W is at least thr(W) = max over t ∈ W of k(t). An ad whose
 * sum over W is below thr(W) is beaten by N others and cannot be listed for W, whatever the tie
 * rule. An ad is listed for W only if it has a cell in some minute t of W (zero sums are never
 * listed), and its sum over W is at most its total T over all the minutes the windows reach. So
 * with floor(t) = min of thr(W) over the windows W that cover t, an ad with
 * T < min of floor(t) over the minutes t it has cells in is in no list of the hour: it can be left
 * out of the ranking without changing one list. Ads with T equal to that minimum stay (ties).
 *
 * `topCounts[t]` is k(t) for the minutes from `firstWindowMinute` on, `span` of them; returns
 * floor(t) for the same minutes (+∞ where no window covers t, which never prunes wrongly: such a
 * minute puts the ad in no list).
 */
export function minuteFloors(
  topCounts: Float64Array,
  hour: number,
  definition: AggregationDefinition,
): Float64Array {
  const from = firstWindowMinute(hour, definition);
  const base = (hour - from) / MINUTE_MS;
  const span = base + HOUR_MS / MINUTE_MS;
  const floors = new Float64Array(span).fill(Number.POSITIVE_INFINITY);
  for (const size of new Set(definition.windowsMinutes)) {
    // Window ends (exclusive minute index) in (hour, hour + 1 h].
    for (let end = base + 1; end <= span; end++) {
      const start = Math.max(0, end - size);
      let thr = 0;
      for (let t = start; t < end; t++) thr = Math.max(thr, topCounts[t] ?? 0);
      for (let t = start; t < end; t++) if (thr < floors[t]!) floors[t] = thr;
    }
  }
  return floors;
}

/** Minutes the ranking covers for `hour`: from `firstWindowMinute` to the hour's end. */
export function rankingSpan(hour: number, definition: AggregationDefinition): { from: number; span: number } {
  const from = firstWindowMinute(hour, definition);
  return { from, span: (hour + HOUR_MS - from) / MINUTE_MS };
}
