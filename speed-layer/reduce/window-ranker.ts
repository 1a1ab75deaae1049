import type { TopList } from '../../shared/aggregate-store/types.ts';
import { MINUTE_MS, minuteOf } from '../../shared/aggregation/time.ts';
import { type AdCount, topNOfCounts, topNOfIndexed } from '../../shared/aggregation/top-n.ts';
import type { AdIds } from '../aggregate/ad-ids.ts';
import type { PartitionState } from '../aggregate/partition-state.ts';
import type { SliceCounts } from '../aggregate/state-types.ts';
import { AdSums, forEachIndexed } from './ad-sums.ts';

/** slice → minute → ads whose count changed there since the previous ranking. */
export type TouchedAds = ReadonlyMap<string, ReadonlyMap<number, ReadonlySet<string>>>;

/**
 * Cells added to or subtracted from the running sums per ranking, over every partition of the
 * process: bounds the pause when a peak minute (millions of cells) closes or leaves a window;
 * the rest follows in the next rankings.
 */
export const SUMS_BUDGET = 400_000;

/** What is left of one ranking's `SUMS_BUDGET`, shared by the rankers of all partitions. */
export interface SumsBudget {
  cells: number;
}

/** Ends behind the frontier whose last lists are kept for the incremental ranking. */
const KEPT_ENDS = 5;

/** Each kept list is this many times N deep, so outsiders stay below its floor for longer. */
const DEPTH = 2;

/**
 * A window end's last ranking: its deepest ads with their exact counts then, and a floor that no
 * ad outside them exceeds (0: every ad with a click there is among them).
 */
interface Ranked {
  ads: AdCount[];
  floor: number;
}

/**
 * The reduce node's local step for one partition: the top-N lists of its sliding windows,
 * without summing a whole window again for every ranking (an hour of minutes each second).
 *
 * - Running sums per slice and window of the partition's closed minutes inside the window that
 *   ends at the frontier (the end of the newest minute any partition of the process has seen).
 *   A closed minute takes no more clicks, so these change only when a minute closes (added) or
 *   the frontier moves past it (subtracted), a bounded number of cells per ranking. An ad's count
 *   in a window is its running sum plus its cells in the minutes the sums do not hold yet (the
 *   open ones, and closed ones still to add), less those they still hold but should not.
 * - Incremental ranking: each end keeps its top 2N with their exact counts, and a floor no ad
 *   outside them exceeds (candidates dropped past 2N raise it). For the same end counts only
 *   grow (clicks are only added), so the new top N lies within the kept ads plus those changed
 *   since: an ad outside both kept its count and is still outranked by the N previous leaders,
 *   which only grew (ties by ad id never change). For the next end, a minute leaves the window
 *   (lowering counts) and one enters: the kept ads, the entering minute's and the changed ones
 *   are ranked, and every other ad is at most at the floor, so the top N is exact while the
 *   N-th count stays above it. Otherwise (or with no earlier list) a full scan ranks every ad.
 *   The counts of a steady stream move slowly, so a window moving on with the frontier seldom
 *   needs one.
 *
 * Lists of ends behind the frontier come from the same sums, corrected by the few minutes
 * between the two ends; an end with no previous list that is not the frontier is summed from
 * its minutes (after a restore, or for a partition lagging far behind).
 */
export class WindowRanker {
  readonly #state: PartitionState;
  readonly #ads: AdIds;
  readonly #windows: readonly number[];
  readonly #n: number;
  #end: number | undefined;
  /**
   * Closed minutes the running sums hold or will hold, with their cells (immutable once closed,
   * kept here so they can be subtracted even after the state's retention has let them go) and,
   * per slice, a bit per window whose sums hold them.
   */
  readonly #held = new Map<number, { counts: SliceCounts; inSums: Map<string, number> }>();
  /** slice → per window: ad → clicks over the held minutes whose bit is set. */
  readonly #closed = new Map<string, Array<AdSums | undefined>>();
  /** The state's retained minutes and the held ones, as of the ranking in progress. */
  #known: number[] = [];
  /** slice → per window: end → its last ranking. */
  readonly #lists = new Map<string, Array<Map<number, Ranked>>>();
  #endsRanked = 0;
  #fullScans = 0;

  /** @param windowsMinutes the sliding windows, in minutes */
  constructor(state: PartitionState, windowsMinutes: readonly number[], n: number) {
    this.#state = state;
    this.#ads = state.adIds;
    this.#windows = windowsMinutes.map((w) => w * MINUTE_MS);
    this.#n = n;
  }

  /** Whether the ranker's sums are indexed by `ads` (the partition's table when it was made). */
  indexes(ads: AdIds): boolean {
    return this.#ads === ads;
  }

  /** Window ends ranked, and how many of those rankings summed every ad (the costly path). */
  get rankings(): { ends: number; fullScans: number } {
    return { ends: this.#endsRanked, fullScans: this.#fullScans };
  }

  /**
   * The partition's lists of every window end a touched minute falls in, up to the frontier, and
   * of the `reached` ends (those the frontier reached since the previous ranking) for every slice
   * with clicks near them. Empty lists are left out (they add nothing to the global merge).
   * @param frontier end of the newest minute seen by the process (never moves back)
   * @param budget cells the running sums may still move in this ranking (taken from)
   */
  rank(frontier: number, touched: TouchedAds, reached: readonly number[], budget: SumsBudget): TopList[] {
    // The sums follow the partition's own newest minute: a partition lagging behind the others
    // then ranks near its sums, and ends past its data only lose the minutes leaving them.
    const newest = this.#state.maxEventMs;
    if (newest === undefined) return [];
    const end = Math.max(minuteOf(newest) + MINUTE_MS, this.#end ?? Number.NEGATIVE_INFINITY);
    this.#advance(end, budget);
    this.#known = [...new Set([...this.#state.minutes(), ...this.#held.keys()])];
    const longest = Math.max(...this.#windows);
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
          for (let e = m + MINUTE_MS; e <= m + w && e <= frontier; e += MINUTE_MS) ends.add(e);
        }
        for (const e of [...ends].sort((a, b) => a - b)) {
          const ads = this.#rankEnd(slice, wi, e, end, minutes);
          if (ads.length > 0) out.push({ windowMinutes: w / MINUTE_MS, slice, endMinute: e, ads });
        }
      });
    }
    // Lists whose windows hold only closed minutes never change again; a few more are kept.
    const open = this.#state.minutes().find((m) => !this.#state.minute(m)?.closed);
    const keepFrom = Math.min(open ?? end, end - KEPT_ENDS * MINUTE_MS);
    for (const perWindow of this.#lists.values()) {
      for (const lists of perWindow) {
        for (const e of lists.keys()) if (e <= keepFrom) lists.delete(e);
      }
    }
    return out;
  }

  /**
   * Moves the sums towards the window ends at `end`: minutes that left a window are subtracted
   * from its sums and closed minutes inside it are added, within the ranking's budget (a closing
   * peak minute holds millions of cells): until then `#terms` corrects for them by lookup, so a
   * value is exact whatever the sums hold.
   */
  #advance(end: number, budget: SumsBudget): void {
    this.#end = end;
    const longest = Math.max(...this.#windows);
    for (const minute of this.#state.minutes()) {
      if (this.#held.has(minute) || minute < end - longest || minute >= end) continue;
      const state = this.#state.minute(minute);
      if (state?.closed) this.#held.set(minute, { counts: state.counts, inSums: new Map() });
    }
    // The state freezes a minute some time after it closed: hold the compact form from then on.
    for (const [minute, h] of this.#held) h.counts = this.#state.minute(minute)?.counts ?? h.counts;
    // Subtractions first (they free memory), oldest minutes first.
    const held = [...this.#held].sort(([a], [b]) => a - b);
    for (const leaving of [true, false]) {
      for (const [minute, h] of held) {
        for (const [slice, ads] of h.counts) {
          let bits = h.inSums.get(slice) ?? 0;
          this.#windows.forEach((w, wi) => {
            // A one-minute window's sums would hold the one closed minute its lookups read anyway.
            if (w <= MINUTE_MS) return;
            const bit = 1 << wi;
            const inside = minute >= end - w;
            const has = (bits & bit) !== 0;
            if (budget.cells <= 0 || has === inside || leaving === inside) return;
            this.#apply(slice, ads, wi, inside ? 1 : -1);
            bits ^= bit;
            budget.cells -= ads.size;
          });
          h.inSums.set(slice, bits);
        }
      }
    }
    for (const [minute, h] of held) {
      if (minute < end - longest && [...h.inSums.values()].every((bits) => bits === 0))
        this.#held.delete(minute);
    }
  }

  /** Adds (or subtracts) a closed minute's cells of one slice to one window's sums. */
  #apply(slice: string, ads: ReadonlyMap<string, number>, wi: number, sign: 1 | -1): void {
    let perWindow = this.#closed.get(slice);
    if (perWindow === undefined) {
      perWindow = [];
      this.#closed.set(slice, perWindow);
    }
    perWindow[wi] ??= new AdSums(this.#ads);
    perWindow[wi].apply(ads, sign);
  }

  /** Whether a minute's cells of a slice are in one window's running sums. */
  #inSums(minute: number, slice: string, wi: number): boolean {
    return ((this.#held.get(minute)?.inSums.get(slice) ?? 0) & (1 << wi)) !== 0;
  }

  #rankEnd(
    slice: string,
    wi: number,
    e: number,
    end: number,
    touched: ReadonlyMap<number, ReadonlySet<string>> | undefined,
  ): AdCount[] {
    const w = this.#windows[wi]!;
    const lists = this.#listsOf(slice)[wi]!;
    const depth = DEPTH * this.#n;
    this.#endsRanked++;
    const { plus, minus } = this.#terms(slice, wi, e, end);
    // The end's own last ranking; or a new end's from the end before it: from there the minute
    // leaving the window only lowered counts, and the one entering it adds candidates.
    const previous = lists.get(e);
    const before = previous === undefined ? lists.get(e - MINUTE_MS) : undefined;
    const from = previous ?? before;
    if (from !== undefined) {
      const count = (adId: string) => {
        let v = 0;
        for (const part of plus) v += part.get(adId) ?? 0;
        for (const part of minus) v -= part.get(adId) ?? 0;
        return v;
      };
      const values = new Map<string, number>();
      if (previous !== undefined) {
        // The same end: an ad's count there changes only with a click, so the kept counts hold
        // but for the ads changed since, counted again below.
        for (const entry of previous.ads) values.set(entry.adId, entry.count);
      } else {
        for (const entry of from.ads) values.set(entry.adId, count(entry.adId));
        for (const adId of this.#cells(e - MINUTE_MS, slice)?.keys() ?? [])
          if (!values.has(adId)) values.set(adId, count(adId));
      }
      const changed = new Set<string>();
      for (const [m, ads] of touched ?? []) if (m >= e - w && m < e) for (const ad of ads) changed.add(ad);
      for (const adId of changed) values.set(adId, count(adId));
      const ranked = topNOfCounts(values, depth + 1);
      const floor = Math.max(from.floor, ranked[depth]?.count ?? 0);
      // Exact when no ad outside the candidates can reach the N-th place. For the same end, or
      // a new one no minute left, the previous leaders only grew and every outsider kept its
      // count. Otherwise an outsider is at most at the floor, so the N-th must be above it.
      const leaving = this.#cells(e - MINUTE_MS - w, slice)?.size ?? 0;
      if (
        previous !== undefined ||
        leaving === 0 ||
        floor === 0 ||
        (ranked[this.#n - 1]?.count ?? 0) > floor
      ) {
        lists.set(e, { ads: ranked.slice(0, depth), floor });
        return ranked.slice(0, this.#n);
      }
    }
    // Every ad with clicks in the window: the running sums, corrected (or, far from the sums'
    // end, the window's own minutes), summed in one array indexed by ad.
    this.#fullScans++;
    let totals = new Float64Array(this.#ads.size);
    const addAll = (part: ReadonlyMap<string, number>, sign: 1 | -1) => {
      if (part instanceof AdSums) return part.addInto(totals, sign);
      forEachIndexed(part, this.#ads, (index, count) => {
        // Ads of an open minute are interned one by one here: grow by half, not by one.
        if (index >= totals.length) {
          const grown = new Float64Array(Math.max(index + 1, Math.ceil(totals.length * 1.5)));
          grown.set(totals);
          totals = grown;
        }
        totals[index]! += sign * count;
      });
    };
    for (const part of plus) addAll(part, 1);
    for (const part of minus) addAll(part, -1);
    const ranked = topNOfIndexed(totals, (i) => this.#ads.at(i), depth + 1);
    lists.set(e, { ads: ranked.slice(0, depth), floor: ranked[depth]?.count ?? 0 });
    return ranked.slice(0, this.#n);
  }

  /**
   * The counts whose sum (`plus` − `minus`) is an ad's clicks in the window [e − w, e) of a
   * slice: the running sums corrected to the frontier's window, then by the minutes between the
   * two ends; or, for an end a whole window behind, that window's own minutes.
   */
  #terms(
    slice: string,
    wi: number,
    e: number,
    end: number,
  ): { plus: Array<ReadonlyMap<string, number>>; minus: Array<ReadonlyMap<string, number>> } {
    const w = this.#windows[wi]!;
    const plus: Array<ReadonlyMap<string, number>> = [];
    const minus: Array<ReadonlyMap<string, number>> = [];
    const push = (target: Array<ReadonlyMap<string, number>>, m: number) => {
      const cells = this.#cells(m, slice);
      if (cells !== undefined && cells.size > 0) target.push(cells);
    };
    if (end - e >= w || e - w >= end) {
      for (let m = e - w; m < e; m += MINUTE_MS) push(plus, m);
      return { plus, minus };
    }
    plus.push(this.#closed.get(slice)?.[wi] ?? new Map<string, number>());
    // The frontier's window: its minutes the sums do not hold yet, less those they still hold.
    for (const m of this.#known) {
      const inside = m >= end - w && m < end;
      if (inside !== this.#inSums(m, slice, wi)) push(inside ? plus : minus, m);
    }
    // Behind the sums' end: minus the minutes after e, plus those before end − w. Past it (no
    // clicks there yet): minus the minutes that have left e's window.
    for (let m = e; m < end; m += MINUTE_MS) push(minus, m);
    for (let m = e - w; m < end - w; m += MINUTE_MS) push(plus, m);
    for (let m = end - w; m < e - w; m += MINUTE_MS) push(minus, m);
    return { plus, minus };
  }

  #cells(minute: number, slice: string): ReadonlyMap<string, number> | undefined {
    return (this.#state.minute(minute)?.counts ?? this.#held.get(minute)?.counts)?.get(slice);
  }

  #listsOf(slice: string): Array<Map<number, Ranked>> {
    let perWindow = this.#lists.get(slice);
    if (perWindow === undefined) {
      perWindow = this.#windows.map(() => new Map<number, Ranked>());
      this.#lists.set(slice, perWindow);
    }
    return perWindow;
  }
}
