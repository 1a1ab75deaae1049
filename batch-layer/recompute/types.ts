import type { HourCells, TopList } from '../../shared/aggregate-store/types.ts';
import type { AggregationDefinition } from '../../shared/aggregation/definition.ts';

/** Input of one hour's recompute over local Parquet files. */
export interface HourComputeInput {
  /** Hour start, epoch ms UTC. */
  hour: number;
  /** Raw lake files of `hour`. */
  hourFiles: readonly string[];
  /**
   * Raw lake files of the hour before: top-N windows ending early in `hour` reach up to 59 minutes
   * back. Only read when some window is longer than one minute.
   */
  previousHourFiles: readonly string[];
  definition: AggregationDefinition;
  /** When set, the cells of `hour` are also written there as Parquet (the lake's `agg/minute`). */
  aggMinuteFile?: string;
  /** When set, the top-N lists are also written there as Parquet (the lake's `agg/top`). */
  aggTopFile?: string;
}

/** The batch view of one hour. */
export interface HourAggregates {
  hour: number;
  /** Raw rows of `hour` read (duplicates included). */
  rawRows: number;
  /** Distinct clicks of `hour` after dedup. */
  clicks: number;
  /**
   * Cells with minute in `[hour, hour + 1 h)`, read when the batch view writer asks for them; an
   * engine may keep them only until it computes its next hour or closes.
   */
  cells: HourCells;
  /** Top-N lists of every configured window whose end minute is in `(hour, hour + 1 h]`. */
  topLists: TopList[];
  /** Cells the top-N ranking read, after leaving out ads that cannot reach a list. */
  rankedCells?: number;
  /** Wall time of each step of the compute, in ms (for metrics and the benchmark). */
  stagesMs?: Record<string, number>;
}

/** Computes one hour's aggregates from local raw Parquet files. */
export interface RecomputeEngine {
  compute(input: HourComputeInput): Promise<HourAggregates>;
  close(): Promise<void>;
}
