import type { AggregationDefinition } from '../../shared/aggregation/definition.ts';
import type { ClickIdSet } from './click-id-set.ts';

/** What happened to one valid click fed to a partition's state. */
export type AddOutcome = 'counted' | 'duplicate' | 'late';

/** Settings of the aggregate node (one set for every partition). */
export interface AggregateOptions {
  definition: AggregationDefinition;
  /** Watermark = max event time seen in the partition − this. */
  allowedLatenessMs: number;
  /** After this long without events, the partition's watermark follows processing time. */
  idleTimeoutMs: number;
  /**
   * Closed minutes are kept (counts only, no ids) this long behind the watermark's minute, so
   * sliding-window top lists can be recomputed when a newer minute changes. At least the largest
   * window; a margin on top covers partitions whose watermarks drift apart.
   */
  retainMs: number;
  /**
   * Every ad's clicks are counted in one partition (the map node re-keys the others), so a cell
   * is its partition's count and is never summed over the partitions held (default: false).
   */
  keyedByAd?: boolean;
  /**
   * Cells the reduce node moves into or out of its running window sums per ranking, over every
   * partition held (tuning; default `SUMS_BUDGET`).
   */
  sumsBudget?: number;
  /**
   * Ad ids a partition's table holds before it is first checked for ids no retained minute uses
   * (tuning, for tests; default `AD_IDS_CHECK_FROM`).
   */
  adIdsCheckFrom?: number;
}

/**
 * Cells of one minute: slice → ad → clicks. An open minute's are Maps; a closed minute's are
 * `FrozenCells` (read-only, compact).
 */
export type SliceCounts = Map<string, ReadonlyMap<string, number>>;

/** One minute of one partition. */
export interface MinuteState {
  counts: SliceCounts;
  /**
   * Click ids seen in this minute; dropped some time after the minute closed (kept a little
   * longer than needed for counting, only to tell late duplicates from late clicks in metrics).
   */
  ids: ClickIdSet | undefined;
  /** The watermark has passed the minute's end: its counts are final. */
  closed: boolean;
}

/** Cells changed since the last drain, and minutes closed since then. */
export interface StateChanges {
  /** minute → slice → ad ids whose count changed. */
  cells: Map<number, Map<string, Set<string>>>;
  /** Minutes that closed (recorded by one marker row per partition and minute). */
  closed: number[];
}

/** The serialisable form of one partition's state (see `snapshot-codec.ts`). */
export interface PartitionSnapshot {
  partition: number;
  /** Offset of the next record to consume, as a decimal string (Kafka offsets are int64). */
  nextOffset: string;
  maxEventMs: number | null;
  watermarkMs: number | null;
  /** Recent late click ids (only so a retried late click is counted once in metrics). */
  lateIds: string[];
  minutes: Array<{
    minute: number;
    closed: boolean;
    /** Click ids as written by format 1 snapshots; newer ones store `idHashes`. */
    ids?: string[] | null;
    /** The minute's `ClickIdSet` (`toBase64`), null once the ids are dropped. */
    idHashes?: string | null;
    /** slice → [adId, count][] (empty when `stored`: the counts are in their own row). */
    counts: Record<string, Array<[string, number]>>;
    /**
     * A closed minute whose counts are stored on their own, once (format 3): the epoch they were
     * written under (`SnapshotStore.loadMinutes`).
     */
    stored?: number | null;
  }>;
}

export type { AggregationDefinition };
