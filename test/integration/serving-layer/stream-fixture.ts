/**
 * One generated stream and the answers the merge must give for it, computed without production
 * code: minutes before the boundary from the batch recount (every distinct click), minutes from it
 * on from the speed recount (late clicks left out, as the speed layer does).
 */
import { generateAll } from '../../../shared/generator/generator.ts';
import type { GeneratedRecord } from '../../../shared/generator/types.ts';
import { type Recount, recountAll, recountSpeed } from '../../helpers/recount.ts';

export const MINUTE = 60_000;
export const HOUR = 3_600_000;

export interface StreamFixture {
  start: number;
  records: GeneratedRecord[];
  all: Recount;
  speed: Recount;
}

/** By default 2.5 hours of event time from `start` at one click per second over `ads` Zipf-skewed ads. */
export function streamFixture(
  start: number,
  adPrefix: string,
  seed = 11,
  ads = 300,
  shape: { clicks: number; clicksPerSecond: number } = { clicks: 9000, clicksPerSecond: 1 },
): StreamFixture {
  const records = generateAll({
    seed,
    ...shape,
    startMs: start,
    ads,
    partitions: 4,
    adPrefix,
    lateFraction: 0.02,
    lateByMs: 4 * MINUTE,
  });
  const input = records.map((r) => ({ partition: r.partition, event: r.event }));
  return { start, records, all: recountAll(input), speed: recountSpeed(input, 20_000) };
}

/** The merged count of `[from, to)` with the boundary at `boundary` (undefined: speed only). */
export function expectedCount(
  f: StreamFixture,
  boundary: number | undefined,
  adId: string,
  slice: string,
  from: number,
  to: number,
): number {
  const b = boundary ?? Number.NEGATIVE_INFINITY;
  return f.all.count(adId, slice, from, Math.min(to, b)) + f.speed.count(adId, slice, Math.max(from, b), to);
}

/** The merged top `n` of `[end − window, end)`: per-ad sums over both sides, ties by ad id. */
export function expectedTop(
  f: StreamFixture,
  boundary: number | undefined,
  windowMinutes: number,
  slice: string,
  end: number,
  n: number,
  visible: (adId: string) => boolean = () => true,
): Array<{ adId: string; count: number }> {
  const from = end - windowMinutes * MINUTE;
  const b = boundary ?? Number.NEGATIVE_INFINITY;
  const sums = new Map<string, number>();
  const add = (r: Recount, lo: number, hi: number) => {
    for (const [key, count] of r.cells) {
      const [adId, s, minute] = key.split('|') as [string, string, string];
      const m = Number(minute);
      if (s === slice && m >= lo && m < hi && visible(adId)) sums.set(adId, (sums.get(adId) ?? 0) + count);
    }
  };
  add(f.all, from, Math.min(end, b));
  add(f.speed, Math.max(from, b), end);
  return [...sums]
    .map(([adId, count]) => ({ adId, count }))
    .sort((a, b) => b.count - a.count || (a.adId < b.adId ? -1 : 1))
    .slice(0, n);
}

/** The ids of the `n` most clicked ads of the whole stream (to pick ads worth asking about). */
export function busiestAds(f: StreamFixture, n: number): string[] {
  return f.all.top(100_000, 'all', f.start + 100 * HOUR, n).map((a) => a.adId);
}
