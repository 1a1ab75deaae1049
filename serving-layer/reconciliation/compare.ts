import { HOUR_MS, hourOf } from '../../shared/aggregation/time.ts';
import type { AdCount } from '../../shared/aggregation/top-n.ts';
import type { LakeCellEvidence, MismatchCause, MismatchCell } from './types.ts';
import { cellKey } from './types.ts';

/** Counters of one comparison, built up minute by minute. */
export interface Comparison {
  cellsCompared: number;
  cellsMatching: number;
  mismatches: Array<Omit<MismatchCell, 'cause'>>;
  speedTotal: number;
  batchTotal: number;
}

export function emptyComparison(): Comparison {
  return { cellsCompared: 0, cellsMatching: 0, mismatches: [], speedTotal: 0, batchTotal: 0 };
}

/**
 * Compares one (slice, minute) of both views: every ad present in either counts as a cell, a
 * missing cell being 0. Totals are kept for the `all` slice only, so each click counts once.
 */
export function compareSliceMinute(
  into: Comparison,
  slice: string,
  minute: number,
  speed: readonly AdCount[],
  batch: readonly AdCount[],
): void {
  const cells = new Map<string, { speed: number; batch: number }>();
  for (const { adId, count } of speed) cells.set(adId, { speed: count, batch: 0 });
  for (const { adId, count } of batch) {
    const cell = cells.get(adId);
    if (cell === undefined) cells.set(adId, { speed: 0, batch: count });
    else cell.batch = count;
  }
  for (const [adId, c] of cells) {
    if (c.speed === 0 && c.batch === 0) continue;
    into.cellsCompared++;
    if (slice === 'all') {
      into.speedTotal += c.speed;
      into.batchTotal += c.batch;
    }
    if (c.speed === c.batch) into.cellsMatching++;
    else into.mismatches.push({ adId, slice, minute, speed: c.speed, batch: c.batch });
  }
}

/**
 * The likely cause of a mismatching cell. An unpublished batch hour explains anything in it; a
 * speed view short by exactly the late clicks the lake shows is the by-design late path; the rest
 * is `unexplained` — never guessed.
 */
export function classify(
  cell: Omit<MismatchCell, 'cause'>,
  publishedHours: ReadonlySet<number>,
  lake: ReadonlyMap<string, LakeCellEvidence> | undefined,
): MismatchCell {
  const evidence = lake?.get(cellKey(cell.adId, cell.slice, cell.minute));
  const withLake = lake === undefined ? {} : { raw: evidence?.raw ?? 0, late: evidence?.late ?? 0 };
  let cause: MismatchCause = 'unexplained';
  if (!publishedHours.has(hourOf(cell.minute))) cause = 'batch_hour_missing';
  else if (
    evidence !== undefined &&
    evidence.late > 0 &&
    cell.batch === evidence.raw &&
    cell.batch - cell.speed === evidence.late
  ) {
    cause = 'late_clicks';
  }
  return { ...cell, ...withLake, cause };
}

/** Orders mismatches for the capped list: largest absolute difference first, then by key. */
export function byDifference(a: MismatchCell, b: MismatchCell): number {
  const d = Math.abs(b.batch - b.speed) - Math.abs(a.batch - a.speed);
  if (d !== 0) return d;
  if (a.minute !== b.minute) return a.minute - b.minute;
  return a.adId < b.adId ? -1 : a.adId > b.adId ? 1 : a.slice < b.slice ? -1 : a.slice > b.slice ? 1 : 0;
}

/** Hour starts in `[from, to)`. */
export function hoursIn(from: number, to: number): number[] {
  const out: number[] = [];
  for (let h = hourOf(from); h < to; h += HOUR_MS) out.push(h);
  return out;
}
