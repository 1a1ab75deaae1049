import type { TopList } from '../../shared/aggregate-store/types.ts';
import { MINUTE_MS } from '../../shared/aggregation/time.ts';
import { topN } from '../../shared/aggregation/top-n.ts';

/**
 * Per-ad counts of one slice in one minute, as several maps (one per partition holding the
 * minute); an ad normally lives in one partition, but the maps are summed in case it does not.
 */
export type MinuteCountsSource = (slice: string, minute: number) => Iterable<ReadonlyMap<string, number>>;

/** Limits on the window ends `topListsFor` ranks. */
export interface TopListBounds {
  /**
   * Largest end to rank (the end of the newest minute with data): later windows hold only
   * minutes nobody has seen yet, and are ranked once data reaches them (see `extraEnds`).
   */
  maxEnd?: number;
  /** slice → ends to rank even without a change in them (ends the frontier just reached). */
  extraEnds?: ReadonlyMap<string, readonly number[]>;
  /** Leave out empty lists (an empty local list adds nothing to a merge). */
  skipEmpty?: boolean;
}

/**
 * The reduce node: top-N lists of every sliding window whose range contains a changed minute.
 * A change in minute m affects the windows ending at m + 1 min … m + W min. For each window size
 * and slice, the affected end minutes are walked in order with a running per-ad sum (add the
 * minute entering the window, subtract the one leaving), so W consecutive lists cost about
 * 2·W minute merges instead of W².
 *
 * @param changed slice → minutes whose counts changed
 */
export function topListsFor(
  changed: ReadonlyMap<string, ReadonlySet<number>>,
  source: MinuteCountsSource,
  windowsMinutes: readonly number[],
  n: number,
  bounds: TopListBounds = {},
): TopList[] {
  const lists: TopList[] = [];
  const maxEnd = bounds.maxEnd ?? Number.POSITIVE_INFINITY;
  for (const [slice, minutes] of changed) {
    for (const w of windowsMinutes) {
      const span = w * MINUTE_MS;
      const ends = new Set<number>(bounds.extraEnds?.get(slice) ?? []);
      for (const m of minutes) {
        for (let e = m + MINUTE_MS; e <= m + span && e <= maxEnd; e += MINUTE_MS) ends.add(e);
      }
      const sorted = [...ends].sort((a, b) => a - b);
      const sums = new Map<string, number>();
      let previous: number | undefined;
      for (const end of sorted) {
        if (previous !== undefined && end === previous + MINUTE_MS) {
          apply(sums, source(slice, end - MINUTE_MS), 1);
          apply(sums, source(slice, end - MINUTE_MS - span), -1);
        } else {
          sums.clear();
          for (let m = end - span; m < end; m += MINUTE_MS) apply(sums, source(slice, m), 1);
        }
        previous = end;
        const ads = topN(
          (function* () {
            for (const [adId, count] of sums) yield { adId, count };
          })(),
          n,
        );
        if (ads.length > 0 || !bounds.skipEmpty) lists.push({ windowMinutes: w, slice, endMinute: end, ads });
      }
    }
  }
  return lists;
}

function apply(sums: Map<string, number>, parts: Iterable<ReadonlyMap<string, number>>, sign: 1 | -1): void {
  for (const part of parts) {
    for (const [adId, count] of part) {
      const next = (sums.get(adId) ?? 0) + sign * count;
      if (next === 0) sums.delete(adId);
      else sums.set(adId, next);
    }
  }
}
