import type { TopList } from '../../shared/aggregate-store/types.ts';
import { MINUTE_MS } from '../../shared/aggregation/time.ts';
import { type AdCount, topNOfCounts } from '../../shared/aggregation/top-n.ts';
import type { PartitionState } from '../aggregate/partition-state.ts';
import type { SliceCounts } from '../aggregate/state-types.ts';

/** slice → minute → ads whose count changed there since the previous ranking. */
export type TouchedAds = ReadonlyMap<string, ReadonlyMap<number, ReadonlySet<string>>>;

/** Ends behind the frontier whose last lists are kept for the incremental ranking. */
const KEPT_ENDS = 5;

/**
 * The reduce node's local step for one partition: the top-N lists of its sliding windows,
 * without summing a whole window again for every ranking (an hour of minutes each second).
 *
 * - Running sums per slice and window of the partition's closed minutes inside the window that
 *   ends at the frontier (the end of the newest minute any partition of the process has seen).
 *   A closed minute takes no more clicks, so these change only when a minute closes (added) or
 *   the frontier moves past it (subtracted). An ad's count in a window is its running sum plus
 *   its cells in the few open minutes, looked up.
 * - Incremental ranking: for a window end, counts only grow (clicks are only added), so the new
 *   top N lies within the previous list of that end plus the ads changed since. An ad outside
 *   both kept its count and is still outranked by the N previous entries, which only grew (ties
 *   by ad id never change). A full scan is needed once per end (when the frontier reaches it).
 *
 * Lists of ends behind the frontier come from the same sums, corrected by the few minutes
 * between the two ends; an end with no previous list that is not the frontier is summed from
 * its minutes (after a restore, or for a partition lagging far behind).
 */
export class WindowRanker {
  readonly #state: PartitionState;
  readonly #windows: readonly number[];
  readonly #n: number;
  #end: number | undefined;
  /**
   * Closed minutes inside `#closed`, with their cells (immutable once closed), held here so they
   * can be subtracted even after the state's retention has let them go.
   */
  readonly #included = new Map<number, SliceCounts>();
  /** slice → per window: ad → clicks over the included minutes inside [end − w, end). */
  readonly #closed = new Map<string, Array<Map<string, number>>>();
  /** slice → per window: end → its last ranked list. */
  readonly #lists = new Map<string, Array<Map<number, AdCount[]>>>();

  /** @param windowsMinutes the sliding windows, in minutes */
  constructor(state: PartitionState, windowsMinutes: readonly number[], n: number) {
    this.#state = state;
    this.#windows = windowsMinutes.map((w) => w * MINUTE_MS);
    this.#n = n;
  }

  /**
   * The partition's lists of every window end a touched minute falls in, up to the frontier, and
   * of the `reached` ends (those the frontier reached since the previous ranking) for every slice
   * with clicks near them. Empty lists are left out (they add nothing to the global merge).
   * @param frontier end of the newest minute seen by the process (never moves back)
   */
  rank(frontier: number, touched: TouchedAds, reached: readonly number[]): TopList[] {
    const end = Math.max(frontier, this.#end ?? frontier);
    this.#advance(end);
    const longest = Math.max(...this.#windows);
    const open = this.#openMinutes(end - longest);
    const slices = new Set(touched.keys());
    if (reached.length > 0) {
      for (const minute of this.#state.minutes()) {
        if (minute < reached[0]! - longest) continue;
        for (const slice of this.#state.minute(minute)?.counts.keys() ?? []) slices.add(slice);
      }
    }
    const out: TopList[] = [];
    for (const slice of slices) {
      const minutes = touched.get(slice);
      this.#windows.forEach((w, wi) => {
        const ends = new Set<number>(reached);
        for (const m of minutes?.keys() ?? []) {
          for (let e = m + MINUTE_MS; e <= m + w && e <= end; e += MINUTE_MS) ends.add(e);
        }
        for (const e of [...ends].sort((a, b) => a - b)) {
          const ads = this.#rankEnd(slice, wi, e, end, open, minutes);
          this.#listsOf(slice)[wi]!.set(e, ads);
          if (ads.length > 0) out.push({ windowMinutes: w / MINUTE_MS, slice, endMinute: e, ads });
        }
      });
    }
    for (const perWindow of this.#lists.values()) {
      for (const lists of perWindow) {
        for (const e of lists.keys()) if (e < end - KEPT_ENDS * MINUTE_MS) lists.delete(e);
      }
    }
    return out;
  }

  /** Moves the sums to the window ends at `end`, then takes in the minutes closed since. */
  #advance(end: number): void {
    const previous = this.#end;
    const longest = Math.max(...this.#windows);
    if (previous !== undefined && end > previous) {
      for (const [minute, counts] of this.#included) {
        this.#windows.forEach((w, wi) => {
          if (minute >= previous - w && minute < end - w) this.#apply(counts, wi, -1);
        });
        if (minute < end - longest) this.#included.delete(minute);
      }
    }
    this.#end = end;
    for (const minute of this.#state.minutes()) {
      if (this.#included.has(minute) || minute < end - longest || minute >= end) continue;
      const state = this.#state.minute(minute);
      if (state === undefined || !state.closed) continue;
      this.#windows.forEach((w, wi) => {
        if (minute >= end - w) this.#apply(state.counts, wi, 1);
      });
      this.#included.set(minute, state.counts);
    }
  }

  /** Adds (or subtracts) every cell of a closed minute to one window's sums. */
  #apply(counts: SliceCounts, wi: number, sign: 1 | -1): void {
    for (const [slice, ads] of counts) {
      let perWindow = this.#closed.get(slice);
      if (perWindow === undefined) {
        perWindow = this.#windows.map(() => new Map<string, number>());
        this.#closed.set(slice, perWindow);
      }
      const sums = perWindow[wi]!;
      for (const [adId, count] of ads) {
        const next = (sums.get(adId) ?? 0) + sign * count;
        if (next === 0) sums.delete(adId);
        else sums.set(adId, next);
      }
    }
  }

  /** Retained minutes from `from` on that are not in the running sums (open ones). */
  #openMinutes(from: number): number[] {
    return this.#state.minutes().filter((m) => m >= from && !this.#included.has(m));
  }

  #rankEnd(
    slice: string,
    wi: number,
    e: number,
    end: number,
    open: readonly number[],
    touched: ReadonlyMap<number, ReadonlySet<string>> | undefined,
  ): AdCount[] {
    const w = this.#windows[wi]!;
    const lists = this.#listsOf(slice)[wi]!;
    let previous = lists.get(e);
    // A new end whose window lost no clicks against the end before it (its leaving minute has
    // none here): counts only grew from that end's list, by the ads of the entering minute.
    const before = lists.get(e - MINUTE_MS);
    const entering = this.#cells(e - MINUTE_MS, slice);
    if (
      previous === undefined &&
      before !== undefined &&
      !(this.#cells(e - MINUTE_MS - w, slice)?.size ?? 0)
    ) {
      previous = [...before, ...[...(entering?.keys() ?? [])].map((adId) => ({ adId, count: 0 }))];
    }
    if (previous !== undefined) {
      const { plus, minus } = this.#terms(slice, wi, e, end, open);
      const values = new Map<string, number>();
      const add = (adId: string) => {
        if (values.has(adId)) return;
        let v = 0;
        for (const part of plus) v += part.get(adId) ?? 0;
        for (const part of minus) v -= part.get(adId) ?? 0;
        values.set(adId, v);
      };
      for (const entry of previous) add(entry.adId);
      for (const [m, ads] of touched ?? []) if (m >= e - w && m < e) for (const ad of ads) add(ad);
      return topNOfCounts(values, this.#n);
    }
    if (e === end) {
      // Every ad with clicks in the window: a copy of the running sums plus the open minutes.
      const totals = new Map(this.#closed.get(slice)?.[wi]);
      for (const m of open) {
        if (m < e - w) continue;
        for (const [ad, count] of this.#cells(m, slice) ?? []) totals.set(ad, (totals.get(ad) ?? 0) + count);
      }
      return topNOfCounts(totals, this.#n);
    }
    const sums = new Map<string, number>();
    for (let m = e - w; m < e; m += MINUTE_MS) {
      for (const [ad, count] of this.#cells(m, slice) ?? []) sums.set(ad, (sums.get(ad) ?? 0) + count);
    }
    return topNOfCounts(sums, this.#n);
  }

  /**
   * The counts whose sum (`plus` − `minus`) is an ad's clicks in the window [e − w, e) of a
   * slice: the running sums and open minutes of the frontier's window, corrected by the minutes
   * between the two ends; or, for an end a whole window behind, that window's own minutes.
   */
  #terms(
    slice: string,
    wi: number,
    e: number,
    end: number,
    open: readonly number[],
  ): { plus: Array<ReadonlyMap<string, number>>; minus: Array<ReadonlyMap<string, number>> } {
    const w = this.#windows[wi]!;
    const plus: Array<ReadonlyMap<string, number>> = [];
    const minus: Array<ReadonlyMap<string, number>> = [];
    const push = (target: Array<ReadonlyMap<string, number>>, m: number) => {
      const cells = this.#cells(m, slice);
      if (cells !== undefined && cells.size > 0) target.push(cells);
    };
    if (end - e >= w) {
      for (let m = e - w; m < e; m += MINUTE_MS) push(plus, m);
      return { plus, minus };
    }
    const closed = this.#closed.get(slice)?.[wi];
    if (closed !== undefined && closed.size > 0) plus.push(closed);
    for (const m of open) if (m >= end - w) push(plus, m);
    for (let m = e; m < end; m += MINUTE_MS) push(minus, m);
    for (let m = e - w; m < end - w; m += MINUTE_MS) push(plus, m);
    return { plus, minus };
  }

  #cells(minute: number, slice: string): ReadonlyMap<string, number> | undefined {
    return this.#state.minute(minute)?.counts.get(slice);
  }

  #listsOf(slice: string): Array<Map<number, AdCount[]>> {
    let perWindow = this.#lists.get(slice);
    if (perWindow === undefined) {
      perWindow = this.#windows.map(() => new Map<number, AdCount[]>());
      this.#lists.set(slice, perWindow);
    }
    return perWindow;
  }
}
