import type { ViewReader } from '../../shared/aggregate-store/types.ts';
import type { AggregationDefinition } from '../../shared/aggregation/definition.ts';
import type { Logger } from '../../shared/logger/logger.ts';
import type { ObjectStore } from '../../shared/object-store/types.ts';

/**
 * Why a cell differs, where that can be known:
 * - `late_clicks`: the speed view is short by exactly the clicks the raw lake shows arrived after
 *   their minute closed (the speed layer leaves those to the batch layer by design);
 * - `batch_hour_missing`: the batch view has not published that hour (late or failed batch job);
 * - `unexplained`: anything else — a real discrepancy to investigate.
 */
export type MismatchCause = 'late_clicks' | 'batch_hour_missing' | 'unexplained';

/** One (ad_id, minute, slice) cell whose counts differ. */
export interface MismatchCell {
  adId: string;
  slice: string;
  minute: number;
  speed: number;
  batch: number;
  /** Distinct clicks of the cell in the raw lake, when the lake was read. */
  raw?: number;
  /** Clicks of the cell the raw lake shows arrived late for the speed layer, when known. */
  late?: number;
  cause: MismatchCause;
}

/** A stored reconciliation report (SPEC A5). */
export interface ReconciliationReport {
  /** `YYYY-MM-DD` for a day, `YYYY-MM-DDTHH` for an hour. */
  id: string;
  scope: 'day' | 'hour';
  /** Half-open range compared, epoch ms. */
  from: number;
  to: number;
  status: 'match' | 'mismatch';
  /** Clicks in the `all` slice of each view over the range (each click counted once). */
  speedTotal: number;
  batchTotal: number;
  cellsCompared: number;
  cellsMatching: number;
  cellsMismatching: number;
  causes: Record<MismatchCause, number>;
  /** The largest differences first, at most `mismatchListCap` of them. */
  mismatches: MismatchCell[];
  /** Object key of the full mismatch list (JSON lines), or `null` when there were none. */
  fullListKey: string | null;
  /** Hours of the range the batch view had published. */
  batchHoursPublished: number;
  generatedAt: number;
}

/** Where reports are kept and read back (Cassandra in production). */
export interface ReconciliationReportStore {
  save(report: ReconciliationReport): Promise<void>;
  /** The report with that id, or `undefined`. */
  get(id: string): Promise<ReconciliationReport | undefined>;
  /** The newest `limit` day reports, newest day first. */
  recentDays(limit: number): Promise<ReconciliationReport[]>;
}

/** Per-cell evidence from the raw lake. */
export interface LakeCellEvidence {
  /** Distinct click ids of the cell. */
  raw: number;
  /** Of those, clicks that arrived after their minute had closed for the speed layer. */
  late: number;
}

/** Reads the raw lake for a range and says, per cell, how many clicks there were and how many came late. */
export interface LakeEvidence {
  /** Keys are `cellKey(adId, slice, minute)`. */
  cells(from: number, to: number): Promise<Map<string, LakeCellEvidence>>;
}

/** The batch view as reconciliation reads it. */
export interface ReconcileBatchReader extends ViewReader {
  publishedHours(fromHour: number, toHour: number): Promise<Array<{ hour: number }>>;
}

/** Everything `reconcileDay` / `reconcileHour` need. */
export interface ReconcileDeps {
  speed: ViewReader;
  batch: ReconcileBatchReader;
  reports: ReconciliationReportStore;
  /** Where the full mismatch list goes (`reports/reconciliation/…`); skipped when absent. */
  objects?: ObjectStore;
  /** Raw-lake evidence for causes; without it causes other than `batch_hour_missing` are `unexplained`. */
  lake?: LakeEvidence;
  definition: AggregationDefinition;
  logger: Logger;
  /** Counted after each report (mismatching and unexplained cells). */
  onReport?: (report: ReconciliationReport) => void;
  /** Length of the list kept in the report itself (default 100). */
  mismatchListCap?: number;
  /** Parallel view reads (default 32). */
  readConcurrency?: number;
  now?: () => number;
}

/** The key of one cell in maps. */
export const cellKey = (adId: string, slice: string, minute: number): string =>
  `${adId}\u0000${slice}\u0000${minute}`;
