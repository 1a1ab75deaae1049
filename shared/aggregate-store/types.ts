import type { AdCount } from '../aggregation/top-n.ts';
import type { Lifecycle } from '../lifecycle/types.ts';

/** One cell of the aggregation: clicks of one ad in one slice during one minute. */
export interface MinuteCount {
  adId: string;
  /** `all` or `<dimension>=<value>` (see `shared/aggregation/definition.ts`). */
  slice: string;
  /** Minute start, epoch ms UTC. */
  minute: number;
  count: number;
}

/** A stored top-N list: the best ads over `[endMinute − windowMinutes, endMinute)`. */
export interface TopList {
  windowMinutes: number;
  slice: string;
  endMinute: number;
  /** Ranked by `compareAdCounts`, at most the configured top N. */
  ads: AdCount[];
}

/** The read side shared by both views, so the serving layer merges them through one shape. */
export interface ViewReader {
  /** Cells of one ad and slice with minute in `[fromMinute, toMinute)`; minutes without clicks are absent. */
  minuteCounts(adId: string, slice: string, fromMinute: number, toMinute: number): Promise<MinuteCount[]>;
  /** Every ad's count in one slice during one minute (for exact top-N across the merge boundary). */
  sliceMinute(slice: string, minute: number): Promise<AdCount[]>;
  /** The stored top-N list, or `undefined` when none was written for that key. */
  topList(windowMinutes: number, slice: string, endMinute: number): Promise<TopList | undefined>;
  /**
   * Every cell of one minute across all slices, in any order (reconciliation compares them all).
   * Optional: a view without it is read one `sliceMinute` per candidate slice instead.
   */
  minuteCells?(minute: number): Promise<MinuteCount[]>;
}

/**
 * The speed view (written by the speed layer). Writes are upserts of absolute values — never
 * increments — so replaying the same input converges to the same rows.
 */
export interface SpeedViewStore extends ViewReader, Lifecycle {
  /** Upserts cells (absolute values) into both the per-(slice, minute) and the per-ad rows (fixtures). */
  upsertMinuteCounts(cells: readonly MinuteCount[]): Promise<void>;
  /**
   * Upserts cells (absolute values): `changed` ones into the per-(slice, minute) rows, which
   * readers use for minutes not closed yet, and `closed` ones — every cell of a minute a partition
   * closes, ahead of that partition's `markMinutesClosed` — into the per-ad rows, which readers
   * use once the minute is closed. A closed cell's last value was written as a changed cell
   * before (or in the same call), so the two tables agree on closed minutes.
   */
  upsertCells(cells: CellWrite): Promise<void>;
  upsertTopLists(lists: readonly TopList[]): Promise<void>;
  /** Records minutes that a Kafka partition's watermark has closed (one small row each). */
  markMinutesClosed(closed: readonly ClosedMinute[]): Promise<void>;
}

/** The cells of one speed-view write (see `SpeedViewStore.upsertCells`). */
export interface CellWrite {
  changed: readonly MinuteCount[];
  closed: readonly MinuteCount[];
}

/** A minute whose cells one Kafka partition will not change any more. */
export interface ClosedMinute {
  partition: number;
  /** Minute start, epoch ms UTC. */
  minute: number;
  /** The partition's watermark when the minute closed (≥ minute + 1 min). */
  watermarkMs: number;
}

/**
 * An hour's cells handed over in batches, read only while they are written (the batch layer keeps
 * millions of them outside JavaScript until then).
 */
export interface HourCells {
  /** Number of cells. */
  readonly size: number;
  /** Every slice the cells name (a writer records them before the first row). */
  readonly slices: readonly string[];
  /** The cells, in batches of up to `batchSize`; each call reads them afresh. */
  batches(batchSize?: number): AsyncIterable<readonly MinuteCount[]>;
}

/** Metadata of one published hour of the batch view. */
export interface PublishedHour {
  hour: number;
  version: number;
  clicks: number;
  computedAt: number;
}

/**
 * The batch view (written by the batch layer). An hour is written under a new version and becomes
 * visible only when `publishHour` flips its pointer, so readers never see a half-written hour.
 */
export interface BatchViewStore extends ViewReader, Lifecycle {
  /** End (exclusive, epoch ms) of the newest contiguous recomputed range; `undefined` before any. */
  watermark(): Promise<number | undefined>;
  setWatermark(until: number): Promise<void>;
  writeHourVersion(
    hour: number,
    version: number,
    cells: readonly MinuteCount[] | HourCells,
    topLists: readonly TopList[],
  ): Promise<void>;
  publishHour(hour: number, version: number, clicks: number): Promise<void>;
  /**
   * Deletes rows of the hour's superseded versions once no reader can still hold them; returns
   * the versions deleted. Optional: a store that keeps every version simply omits it.
   */
  purgeSupersededVersions?(hour: number): Promise<number[]>;
  /** Published hours with hour start in `[fromHour, toHour)`. */
  publishedHours(fromHour: number, toHour: number): Promise<PublishedHour[]>;
}
