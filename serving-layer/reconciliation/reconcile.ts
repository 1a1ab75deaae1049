import type { MinuteCount } from '../../shared/aggregate-store/types.ts';
import { ALL_SLICE } from '../../shared/aggregation/definition.ts';
import { DAY_MS, HOUR_MS, hourOf, isoDate, isoHour, minutesIn } from '../../shared/aggregation/time.ts';
import type { AdCount } from '../../shared/aggregation/top-n.ts';
import { mapLimit } from '../../shared/async/map-limit.ts';
import { COUNTRY_CODES } from '../../shared/click-event/countries.ts';
import { AdclickError, ErrorCodes } from '../../shared/errors/errors.ts';
import {
  byDifference,
  type Comparison,
  classify,
  compareSliceMinute,
  emptyComparison,
  hoursIn,
} from './compare.ts';
import type { MismatchCause, ReconcileDeps, ReconciliationReport } from './types.ts';

/** Where full mismatch lists are written in the object store. */
export const REPORT_PREFIX = 'reports/reconciliation/';

/**
 * Reconciles one UTC day (`YYYY-MM-DD`): compares every (ad_id, minute, slice) cell of the speed
 * and batch views, classifies the mismatches, stores the report (and the full list in the object
 * store) and returns it. Called by the batch layer's nightly job and by `adclick reconcile`.
 */
export async function reconcileDay(deps: ReconcileDeps, date: string): Promise<ReconciliationReport> {
  const from = Date.parse(`${date}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || !Number.isFinite(from) || isoDate(from) !== date) {
    throw new AdclickError(ErrorCodes.INVALID_INPUT, `date must be YYYY-MM-DD, got "${date}"`, {
      details: { parameter: 'date' },
    });
  }
  return reconcileRange(deps, 'day', date, from, from + DAY_MS);
}

/** Reconciles one hour (any epoch ms inside it); the report id is `YYYY-MM-DDTHH`. */
export async function reconcileHour(deps: ReconcileDeps, hour: number): Promise<ReconciliationReport> {
  const from = hourOf(hour);
  return reconcileRange(deps, 'hour', `${isoDate(from)}T${isoHour(from)}`, from, from + HOUR_MS);
}

/** Slices a minute may have cells in: `all` plus every value of every dimension. */
function candidateSlices(deps: ReconcileDeps): string[] {
  const slices: string[] = [];
  for (const d of deps.definition.dimensions) {
    if (d !== 'country') throw new AdclickError(ErrorCodes.INTERNAL, `cannot enumerate dimension ${d}`);
    for (const code of [...COUNTRY_CODES].sort()) slices.push(`country=${code}`);
  }
  return slices;
}

/** One read per view and minute, every slice at once (`ViewReader.minuteCells`). */
async function compareWholeMinutes(
  deps: ReconcileDeps,
  minutes: number[],
  concurrency: number,
  comparison: Comparison,
): Promise<void> {
  await mapLimit(minutes, Math.max(1, Math.floor(concurrency / 2)), async (minute) => {
    const [speed, batch] = await Promise.all([
      deps.speed.minuteCells!(minute),
      deps.batch.minuteCells!(minute),
    ]);
    const speedBySlice = bySlice(speed);
    const batchBySlice = bySlice(batch);
    const slices = new Set([...speedBySlice.keys(), ...batchBySlice.keys()]);
    for (const slice of [...slices].sort())
      compareSliceMinute(
        comparison,
        slice,
        minute,
        speedBySlice.get(slice) ?? [],
        batchBySlice.get(slice) ?? [],
      );
  });
}

function bySlice(cells: readonly MinuteCount[]): Map<string, AdCount[]> {
  const out = new Map<string, AdCount[]>();
  for (const c of cells) {
    let list = out.get(c.slice);
    if (list === undefined) {
      list = [];
      out.set(c.slice, list);
    }
    list.push({ adId: c.adId, count: c.count });
  }
  return out;
}

/** For views without `minuteCells`: `all`, then every candidate slice of a minute that has clicks. */
async function compareSliceBySlice(
  deps: ReconcileDeps,
  minutes: number[],
  concurrency: number,
  comparison: Comparison,
): Promise<void> {
  const slices = candidateSlices(deps);
  const readBoth = (slice: string, minute: number) =>
    Promise.all([deps.speed.sliceMinute(slice, minute), deps.batch.sliceMinute(slice, minute)]);
  await mapLimit(minutes, Math.max(1, Math.floor(concurrency / 4)), async (minute) => {
    const [speedAll, batchAll] = await readBoth(ALL_SLICE, minute);
    compareSliceMinute(comparison, ALL_SLICE, minute, speedAll, batchAll);
    // A minute without clicks in either view has no cell in any dimension slice either.
    if (speedAll.length === 0 && batchAll.length === 0) return;
    await mapLimit(slices, 4, async (slice) => {
      const [speed, batch] = await readBoth(slice, minute);
      compareSliceMinute(comparison, slice, minute, speed, batch);
    });
  });
}

async function reconcileRange(
  deps: ReconcileDeps,
  scope: 'day' | 'hour',
  id: string,
  from: number,
  to: number,
): Promise<ReconciliationReport> {
  const started = Date.now();
  const log = deps.logger.child({ reconciliation: id });
  const concurrency = deps.readConcurrency ?? 32;
  const comparison = emptyComparison();
  const minutes = minutesIn(from, to);
  if (deps.speed.minuteCells !== undefined && deps.batch.minuteCells !== undefined)
    await compareWholeMinutes(deps, minutes, concurrency, comparison);
  else await compareSliceBySlice(deps, minutes, concurrency, comparison);

  const published = new Set((await deps.batch.publishedHours(from, to)).map((h) => h.hour));
  const lake =
    comparison.mismatches.length > 0 && deps.lake !== undefined ? await deps.lake.cells(from, to) : undefined;
  const mismatches = comparison.mismatches.map((c) => classify(c, published, lake)).sort(byDifference);
  const causes: Record<MismatchCause, number> = { late_clicks: 0, batch_hour_missing: 0, unexplained: 0 };
  for (const m of mismatches) causes[m.cause]++;

  let fullListKey: string | null = null;
  if (mismatches.length > 0 && deps.objects !== undefined) {
    fullListKey = `${REPORT_PREFIX}${scope}/${id}.jsonl`;
    await deps.objects.put(
      fullListKey,
      mismatches.map((m) => JSON.stringify(m)).join('\n'),
      'application/x-ndjson',
    );
  }
  const report: ReconciliationReport = {
    id,
    scope,
    from,
    to,
    status: mismatches.length === 0 ? 'match' : 'mismatch',
    speedTotal: comparison.speedTotal,
    batchTotal: comparison.batchTotal,
    cellsCompared: comparison.cellsCompared,
    cellsMatching: comparison.cellsMatching,
    cellsMismatching: mismatches.length,
    causes,
    mismatches: mismatches.slice(0, deps.mismatchListCap ?? 100),
    fullListKey,
    batchHoursPublished: hoursIn(from, to).filter((h) => published.has(h)).length,
    generatedAt: (deps.now ?? Date.now)(),
  };
  await deps.reports.save(report);
  deps.onReport?.(report);
  log.info(
    {
      status: report.status,
      cellsCompared: report.cellsCompared,
      cellsMismatching: report.cellsMismatching,
      unexplained: causes.unexplained,
      ms: Date.now() - started,
    },
    'reconciliation stored',
  );
  return report;
}
