import type { ViewReader } from '../../shared/aggregate-store/types.ts';

/** The batch view as the merge reads it: its cells plus where recomputed data ends. */
export interface BatchReader extends ViewReader {
  /** End (exclusive, epoch ms) of the newest contiguous recomputed range; `undefined` before any. */
  watermark(): Promise<number | undefined>;
  /**
   * Optional: a string that changes whenever the published version of an hour touching
   * `[fromMinute, toMinute)` does. With it, merged answers over batch minutes can be cached safely.
   */
  versionTag?(fromMinute: number, toMinute: number): Promise<string>;
}

/** The two views the serving layer merges. */
export interface MergeSources {
  speed: ViewReader;
  batch: BatchReader;
}

/**
 * Which view answered (SPEC A3 `source`): minutes before `batch_until` came from the batch view,
 * minutes from `speed_from` on from the speed view; `null` when that view played no part.
 * `batch_watermark` is the boundary the answer was cut at.
 */
export interface AnswerSource {
  batch_until: number | null;
  speed_from: number | null;
  batch_watermark: number | null;
}

export interface MergeOptions {
  /** Largest N of stored top lists (and of a `popular` request). */
  topN: number;
  /** Parallel `sliceMinute` reads when a window has to be summed per ad (default 16). */
  readConcurrency?: number;
  /**
   * How long one read of the batch watermark is reused (default 0: read per answer). A boundary
   * that is stale by this much only serves a few just-recomputed minutes from the speed view, which
   * still holds them; it saves one Cassandra read per request under load.
   */
  watermarkCacheMs?: number;
  /**
   * Reuse of whole `popular` answers (default none). An answer is kept only when its window has
   * ended before `closedBefore()` (so its speed minutes no longer change) and the batch reader has
   * a `versionTag`; the key holds the boundary and the batch versions, so a re-published hour or a
   * moved watermark is a new key. Scoped callers (an `adFilter`) are never served from it.
   */
  popularCache?: {
    ttlMs: number;
    /** First minute whose speed cells may still change. */
    closedBefore: () => number;
    /** Answers kept at most (default 1000). */
    maxEntries?: number;
    /**
     * How long an answer over a window still open at its end is reused (default 0: ranked per
     * request). Such answers change with every flush of the speed layer; within this budget,
     * concurrent identical requests share one ranking and later ones reuse it.
     */
    liveTtlMs?: number;
    now?: () => number;
    /** Told of every read of the answer, live answer and closed-sums caches: a hit or a miss. */
    onRead?: (cache: 'answers' | 'live_answers' | 'closed_sums', hit: boolean) => void;
  };
}

/** A half-open minute range `[from, to)` and the view that serves it. */
export interface RangePart {
  view: 'batch' | 'speed';
  from: number;
  to: number;
}
