import type { BatchReader } from '../../../serving-layer/merge/types.ts';
import type { ReconcileBatchReader } from '../../../serving-layer/reconciliation/types.ts';
import type { MinuteCount, TopList } from '../../../shared/aggregate-store/types.ts';
import { MINUTE_MS } from '../../../shared/aggregation/time.ts';
import {
  type AdCount,
  compareAdCounts,
  entriesOf,
  sumByAd,
  topN,
} from '../../../shared/aggregation/top-n.ts';

/**
 * An in-memory view for unit tests of the merge: cells, optional stored top lists, and a record of
 * which calls were made so a test can tell stored lists from summed ones.
 */
export class FakeView implements BatchReader, ReconcileBatchReader {
  cells = new Map<string, MinuteCount>();
  topLists = new Map<string, TopList>();
  wm: number | undefined;
  hours = new Set<number>();
  /** Published version per hour (`publishedHours` says 1 for an hour not listed here). */
  versions = new Map<number, number>();
  calls: string[] = [];
  /** Whether the view offers `minuteCells` (the Cassandra views do); false takes it away. */
  wholeMinutes = true;

  set(adId: string, slice: string, minute: number, count: number): this {
    this.cells.set(`${adId}|${slice}|${minute}`, { adId, slice, minute, count });
    return this;
  }

  /** Stores the exact top list of a window, as a view's writer would. */
  storeTop(windowMinutes: number, slice: string, endMinute: number, n: number): this {
    const parts: AdCount[][] = [];
    for (let m = endMinute - windowMinutes * MINUTE_MS; m < endMinute; m += MINUTE_MS)
      parts.push(this.#slice(slice, m));
    const ads = topN(entriesOf(sumByAd(parts)), n);
    this.topLists.set(`${windowMinutes}|${slice}|${endMinute}`, { windowMinutes, slice, endMinute, ads });
    return this;
  }

  async minuteCounts(adId: string, slice: string, from: number, to: number): Promise<MinuteCount[]> {
    this.calls.push(`minuteCounts ${from} ${to}`);
    return [...this.cells.values()]
      .filter((c) => c.adId === adId && c.slice === slice && c.minute >= from && c.minute < to)
      .sort((a, b) => a.minute - b.minute);
  }

  async sliceMinute(slice: string, minute: number): Promise<AdCount[]> {
    this.calls.push(`sliceMinute ${minute}`);
    return this.#slice(slice, minute);
  }

  async topList(windowMinutes: number, slice: string, endMinute: number): Promise<TopList | undefined> {
    this.calls.push(`topList ${windowMinutes} ${endMinute}`);
    return this.topLists.get(`${windowMinutes}|${slice}|${endMinute}`);
  }

  /** Present while `wholeMinutes` is true, as on a view that can read a minute across slices. */
  get minuteCells(): ((minute: number) => Promise<MinuteCount[]>) | undefined {
    if (!this.wholeMinutes) return undefined;
    return async (minute) => {
      this.calls.push(`minuteCells ${minute}`);
      return [...this.cells.values()].filter((c) => c.minute === minute && c.count > 0);
    };
  }

  async watermark(): Promise<number | undefined> {
    return this.wm;
  }

  async publishedHours(fromHour: number, toHour: number): Promise<Array<{ hour: number; version: number }>> {
    this.calls.push(`publishedHours ${fromHour} ${toHour}`);
    return [...this.hours]
      .filter((h) => h >= fromHour && h < toHour)
      .map((hour) => ({ hour, version: this.versions.get(hour) ?? 1 }));
  }

  #slice(slice: string, minute: number): AdCount[] {
    return [...this.cells.values()]
      .filter((c) => c.slice === slice && c.minute === minute && c.count > 0)
      .map((c) => ({ adId: c.adId, count: c.count }))
      .sort(compareAdCounts);
  }
}
