import type { ClosedMinute, MinuteCount, TopList } from '../../shared/aggregate-store/types.ts';
import { MINUTE_MS, minuteOf } from '../../shared/aggregation/time.ts';
import { type MinuteCountsSource, topListsFor } from '../reduce/top-lists.ts';
import type { PartitionTopList } from '../reduce/types.ts';
import { SUMS_BUDGET, WindowRanker } from '../reduce/window-ranker.ts';
import { FREEZE_CELLS_PER_PLAN, PartitionState } from './partition-state.ts';
import type { AggregateOptions, PartitionSnapshot, SliceCounts } from './state-types.ts';

/**
 * Every cell of a minute one partition closed, when each ad is counted in one partition
 * (`keyedByAd`): the values are final, so the closed stage reads them in chunks as it writes them
 * instead of the plan copying millions of cells out of a peak minute at once.
 */
export interface MinuteCells {
  minute: number;
  /** The minute's counts when it closed (a closed minute takes no more clicks). */
  counts: SliceCounts;
  /** Number of cells, over every slice. */
  size: number;
}

/** What one flush writes to the speed view. */
export interface FlushPlan {
  /**
   * Cells that changed since the last plan (absolute values), including the last changes of the
   * minutes that close in this plan: a cell's final value is always in the plan that closes its
   * minute or in an earlier one, because a closed minute takes no more clicks.
   */
  cells: MinuteCount[];
  /**
   * Every cell of each minute a partition closed in this plan (summed over the partitions held,
   * like `cells`): written to the per-ad table once, ahead of the closed markers, while `cells`
   * of open minutes only go to the per-(slice, minute) rows.
   */
  closedCells: MinuteCount[];
  /** With `keyedByAd`, the closed minutes' cells instead of `closedCells`, read as they are written. */
  finalCells: MinuteCells[];
  /**
   * Minutes closed by a partition's watermark since the last plan, written after `cells` (one
   * marker row each instead of rewriting every cell of the minute); also, when a partition's
   * watermark has passed a minute boundary since its last marker, the newest minute it passed
   * even without clicks, so its latest marker tells readers how far it has closed.
   */
  closed: ClosedMinute[];
  /** Top lists of every window containing a changed minute (empty when `perPartition`). */
  topLists: TopList[];
  /**
   * With `perPartition`: each partition's own top lists of the windows containing a minute it
   * changed, for the global reduce across processes (`GlobalTopLists`); otherwise empty.
   */
  partitionTopLists: PartitionTopList[];
}

/**
 * The aggregate node of one process: the state of every partition it holds. Cell values written
 * to the view are summed over these partitions, so an ad whose clicks arrived in two partitions
 * (a producer that did not key by ad_id) is still written whole as long as one process holds both.
 */
export class PartitionStates {
  readonly #options: AggregateOptions;
  readonly #topN: number;
  readonly #states = new Map<number, PartitionState>();
  /** End of the newest minute ranked so far (the reduce node's frontier), for `perPartition`. */
  #frontierEnd: number | undefined;
  /** Per partition, ads changed per slice and minute since top lists were last ranked. */
  readonly #pendingOwn = new Map<PartitionState, Map<string, Map<number, Set<string>>>>();
  /** The reduce node's local step of each partition (`perPartition`). */
  readonly #rankers = new WeakMap<PartitionState, WindowRanker>();
  readonly #pendingBySlice = new Map<string, Set<number>>();
  /** Rankings so far (which partition's ranker goes first). */
  #rankings = 0;
  /** Newest minute each partition state has a closed marker for. */
  readonly #marked = new WeakMap<PartitionState, number>();

  constructor(options: AggregateOptions, topN = options.definition.topN) {
    this.#options = options;
    this.#topN = topN;
  }

  /** Window ends the current partitions' rankers ranked, and how many needed a full scan. */
  get rankings(): { ends: number; fullScans: number } {
    const total = { ends: 0, fullScans: 0 };
    for (const state of this.#states.values()) {
      const r = this.#rankers.get(state)?.rankings;
      total.ends += r?.ends ?? 0;
      total.fullScans += r?.fullScans ?? 0;
    }
    return total;
  }

  get(partition: number): PartitionState {
    let state = this.#states.get(partition);
    if (state === undefined) {
      state = new PartitionState(partition, this.#options);
      this.#states.set(partition, state);
    }
    return state;
  }

  has(partition: number): boolean {
    return this.#states.has(partition);
  }

  partitions(): number[] {
    return [...this.#states.keys()].sort((a, b) => a - b);
  }

  /** Replaces a partition's state by its restored snapshot. */
  restore(snapshot: PartitionSnapshot, nowMs = Date.now()): PartitionState {
    const state = PartitionState.restore(snapshot, this.#options, nowMs);
    this.drop(snapshot.partition);
    this.#states.set(snapshot.partition, state);
    return state;
  }

  /** Forgets a partition (revoked: another process owns it now and restores it from its snapshot). */
  drop(partition: number): void {
    const state = this.#states.get(partition);
    if (state !== undefined) this.#pendingOwn.delete(state);
    this.#states.delete(partition);
  }

  /** Restarts every partition's idle clock (fetching resumes after a pause). */
  touchAll(nowMs = Date.now()): void {
    for (const state of this.#states.values()) state.touch(nowMs);
  }

  /** Changed cells not planned yet, over every partition (summed per partition). */
  changedCells(): number {
    let total = 0;
    for (const state of this.#states.values()) total += state.changedCells;
    return total;
  }

  /** Per-ad counts of one slice and minute, from every partition that retains the minute. */
  readonly counts: MinuteCountsSource = (slice, minute) => this.#parts(slice, minute);

  #parts(slice: string, minute: number): Array<ReadonlyMap<string, number>> {
    const parts: Array<ReadonlyMap<string, number>> = [];
    for (const state of this.#states.values()) {
      const ads = state.minute(minute)?.counts.get(slice);
      if (ads !== undefined) parts.push(ads);
    }
    return parts;
  }

  /**
   * Advances idle watermarks, closes minutes, and returns everything to write since the last call.
   * With `idle: false` (fetching is paused), no watermark follows processing time. With
   * `deferTopLists`, no top list is ranked: the changed minutes are kept and ranked by the
   * next plan without it (a snapshot must not be taken at a deferred plan, or a restart would
   * lose the lists those changes owe).
   */
  plan(
    nowMs = Date.now(),
    options: { perPartition?: boolean; deferTopLists?: boolean; idle?: boolean } = {},
  ): FlushPlan {
    const changedByState: Array<[PartitionState, Map<string, Map<number, Set<string>>>]> = [];
    const changedKeys = new Map<number, Map<string, Set<string>>>();
    const closed: ClosedMinute[] = [];
    const closedMinutes: Array<[PartitionState, number]> = [];
    const changedBySlice = this.#pendingBySlice;
    const keyed = this.#options.keyedByAd === true;
    const cells: MinuteCount[] = [];
    const freeze = { cells: FREEZE_CELLS_PER_PLAN };
    for (const state of this.#states.values()) {
      if (options.idle !== false) state.advanceIdle(nowMs);
      state.closeMinutes(freeze);
      const changes = state.drainChanges();
      let own = this.#pendingOwn.get(state);
      if (own === undefined) {
        own = new Map<string, Map<number, Set<string>>>();
        this.#pendingOwn.set(state, own);
      }
      changedByState.push([state, own]);
      let marked = this.#marked.get(state) ?? Number.NEGATIVE_INFINITY;
      for (const minute of changes.closed) {
        closed.push({ partition: state.partition, minute, watermarkMs: state.watermarkMs });
        closedMinutes.push([state, minute]);
        marked = Math.max(marked, minute);
      }
      const passed = minuteOf(state.watermarkMs) - MINUTE_MS;
      if (Number.isFinite(passed) && passed > marked) {
        closed.push({ partition: state.partition, minute: passed, watermarkMs: state.watermarkMs });
        marked = passed;
      }
      this.#marked.set(state, marked);
      for (const [minute, slices] of changes.cells) {
        if (keyed) ownCells(state, minute, slices, cells);
        for (const [slice, ads] of slices) {
          // Summed over the partitions below, unless each ad lives in one (then done above).
          if (!keyed) addAll(nestedSet(changedKeys, minute, slice), ads);
          // What the partition's ranker must look at again.
          if (options.perPartition) addAll(nestedSet(own, slice, minute), ads);
          child(changedBySlice, slice, () => new Set()).add(minute);
        }
      }
    }
    for (const [minute, slices] of keyed ? [] : changedKeys) {
      for (const [slice, ads] of slices) {
        const parts = this.#parts(slice, minute);
        for (const adId of ads) cells.push({ adId, slice, minute, count: sumOf(parts, adId) });
      }
    }
    const closedCells: MinuteCount[] = [];
    const finalCells: MinuteCells[] = [];
    for (const [state, minute] of closedMinutes) {
      const counts = state.minute(minute)?.counts;
      if (counts === undefined) continue;
      if (keyed) {
        let size = 0;
        for (const ads of counts.values()) size += ads.size;
        finalCells.push({ minute, counts, size });
        continue;
      }
      for (const [slice, ads] of counts) {
        const parts = this.#parts(slice, minute);
        for (const adId of ads.keys()) closedCells.push({ adId, slice, minute, count: sumOf(parts, adId) });
      }
    }
    closed.sort((a, b) => a.minute - b.minute || a.partition - b.partition);
    if (options.deferTopLists)
      return { cells, closedCells, finalCells, closed, topLists: [], partitionTopLists: [] };
    const { windowsMinutes } = this.#options.definition;
    let topLists: TopList[] = [];
    let partitionTopLists: PartitionTopList[] = [];
    if (options.perPartition) partitionTopLists = this.#partitionTopLists(changedByState);
    else topLists = topListsFor(changedBySlice, this.counts, windowsMinutes, this.#topN);
    this.#pendingOwn.clear();
    this.#pendingBySlice.clear();
    return { cells, closedCells, finalCells, closed, topLists, partitionTopLists };
  }

  /**
   * Local step of the reduce node: each partition ranks its own ads (the global top-N of these
   * lists is exact because an ad's clicks live in one partition), incrementally (`WindowRanker`).
   * Only ends up to the frontier (end of the newest minute any held partition has seen) are
   * ranked; when the frontier moves, the ends it reaches are ranked for every partition, so each
   * partition's row exists for every end its minutes contribute to, without ranking 60 future
   * ends per change.
   */
  #partitionTopLists(
    changedByState: Array<[PartitionState, Map<string, Map<number, Set<string>>>]>,
  ): PartitionTopList[] {
    const { windowsMinutes } = this.#options.definition;
    const longest = Math.max(...windowsMinutes) * MINUTE_MS;
    let newest = Number.NEGATIVE_INFINITY;
    for (const [state] of changedByState) {
      if (state.maxEventMs !== undefined) newest = Math.max(newest, minuteOf(state.maxEventMs));
    }
    if (!Number.isFinite(newest)) return [];
    const maxEnd = newest + MINUTE_MS;
    const previous = this.#frontierEnd ?? maxEnd;
    this.#frontierEnd = Math.max(previous, maxEnd);
    const reached: number[] = [];
    for (let e = previous + MINUTE_MS; e <= Math.min(maxEnd, previous + longest); e += MINUTE_MS)
      reached.push(e);
    const out: PartitionTopList[] = [];
    // One budget for every partition, started at a different one each ranking so none waits
    // behind the others for its sums.
    const budget = { cells: this.#options.sumsBudget ?? SUMS_BUDGET };
    const start = this.#rankings++ % Math.max(1, changedByState.length);
    for (const [state, own] of [...changedByState.slice(start), ...changedByState.slice(0, start)]) {
      let ranker = this.#rankers.get(state);
      // A ranker indexes its sums by the partition's ad id table: a pruned table needs a new one.
      if (ranker === undefined || !ranker.indexes(state.adIds)) {
        ranker = new WindowRanker(state, windowsMinutes, this.#topN);
        this.#rankers.set(state, ranker);
      }
      for (const list of ranker.rank(this.#frontierEnd, own, reached, budget))
        out.push({ ...list, partition: state.partition });
    }
    return out;
  }
}

/** The value under `key`, created by `make` if missing. */
function child<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = make();
    map.set(key, value);
  }
  return value;
}

/** The set under `outer` then `inner`, created if missing. */
function nestedSet<A, B, T>(map: Map<A, Map<B, Set<T>>>, outer: A, inner: B): Set<T> {
  return child(
    child(map, outer, () => new Map()),
    inner,
    () => new Set(),
  );
}

function addAll<T>(target: Set<T>, values: Iterable<T>): void {
  for (const v of values) target.add(v);
}

/** The changed cells of one partition's minute, as its own counts (`keyedByAd`). */
function ownCells(
  state: PartitionState,
  minute: number,
  slices: ReadonlyMap<string, ReadonlySet<string>>,
  out: MinuteCount[],
): void {
  const counts = state.minute(minute)?.counts;
  for (const [slice, ads] of slices) {
    const own = counts?.get(slice);
    for (const adId of ads) out.push({ adId, slice, minute, count: own?.get(adId) ?? 0 });
  }
}

/** An ad's clicks summed over the partitions' counts of one slice and minute. */
function sumOf(parts: ReadonlyArray<ReadonlyMap<string, number>>, adId: string): number {
  if (parts.length === 1) return parts[0]!.get(adId) ?? 0;
  let total = 0;
  for (const part of parts) total += part.get(adId) ?? 0;
  return total;
}
