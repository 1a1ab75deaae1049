import { beforeEach, describe, expect, it } from 'vitest';
import { reconcileDay, reconcileHour } from '../../../../serving-layer/reconciliation/reconcile.ts';
import type {
  LakeCellEvidence,
  ReconcileDeps,
  ReconciliationReport,
  ReconciliationReportStore,
} from '../../../../serving-layer/reconciliation/types.ts';
import { cellKey } from '../../../../serving-layer/reconciliation/types.ts';
import { MINUTE_MS } from '../../../../shared/aggregation/time.ts';
import { silentLogger } from '../../../../shared/logger/logger.ts';
import { FakeView } from '../fake-views.ts';

const H = Date.UTC(2026, 0, 5, 10);
const m = (i: number) => H + i * MINUTE_MS;

class MemoryReports implements ReconciliationReportStore {
  saved = new Map<string, ReconciliationReport>();
  async save(r: ReconciliationReport) {
    this.saved.set(r.id, r);
  }
  async get(id: string) {
    return this.saved.get(id);
  }
  async recentDays(limit: number) {
    return [...this.saved.values()].filter((r) => r.scope === 'day').slice(0, limit);
  }
}

let wholeMinutes = true;

function setup() {
  const speed = new FakeView();
  const batch = new FakeView();
  speed.wholeMinutes = wholeMinutes;
  batch.wholeMinutes = wholeMinutes;
  batch.hours.add(H);
  for (const v of [speed, batch]) {
    v.set('ad-1', 'all', m(1), 5).set('ad-1', 'country=US', m(1), 3).set('ad-1', 'country=KR', m(1), 2);
  }
  const reports = new MemoryReports();
  const puts = new Map<string, string>();
  const objects = {
    put: async (key: string, body: Uint8Array | string) => void puts.set(key, String(body)),
  } as unknown as ReconcileDeps['objects'];
  const deps: ReconcileDeps = {
    speed,
    batch,
    reports,
    objects,
    definition: { dimensions: ['country'], windowsMinutes: [1], topN: 10 },
    logger: silentLogger(),
    now: () => 42,
  };
  return { speed, batch, reports, puts, deps };
}

describe.each([
  ['one read per view and minute (minuteCells)', true],
  ['one read per slice (views without minuteCells)', false],
])('reconcileHour, %s', (_name, whole) => {
  beforeEach(() => {
    wholeMinutes = whole;
  });

  it('reports match when every cell agrees', async () => {
    const { deps, reports } = setup();
    const r = await reconcileHour(deps, H + 5 * MINUTE_MS);
    expect(r).toMatchObject({
      id: '2026-01-05T10',
      status: 'match',
      speedTotal: 5,
      batchTotal: 5,
      cellsCompared: 3,
      cellsMatching: 3,
      cellsMismatching: 0,
      fullListKey: null,
      batchHoursPublished: 1,
    });
    expect(reports.saved.get('2026-01-05T10')).toEqual(r);
  });

  it('explains late clicks from the lake, leaves the rest unexplained, caps the list and stores the full one', async () => {
    const { deps, speed, batch, puts } = setup();
    batch.set('ad-1', 'all', m(2), 4).set('ad-1', 'country=US', m(2), 4); // 1 late click
    speed.set('ad-1', 'all', m(2), 3).set('ad-1', 'country=US', m(2), 3);
    speed.set('ad-2', 'all', m(3), 7).set('ad-2', 'country=DE', m(3), 7); // speed has it, batch not
    const lake = new Map<string, LakeCellEvidence>([
      [cellKey('ad-1', 'all', m(2)), { raw: 4, late: 1 }],
      [cellKey('ad-1', 'country=US', m(2)), { raw: 4, late: 1 }],
    ]);
    deps.lake = { cells: async () => lake };
    deps.mismatchListCap = 3;
    const r = await reconcileHour(deps, H);
    expect(r.status).toBe('mismatch');
    expect(r.cellsMismatching).toBe(4);
    expect(r.causes).toEqual({ late_clicks: 2, batch_hour_missing: 0, unexplained: 2 });
    expect(r.mismatches).toHaveLength(3);
    expect(r.mismatches[0]).toMatchObject({ adId: 'ad-2', speed: 7, batch: 0, raw: 0, cause: 'unexplained' });
    expect(r.fullListKey).toBe('reports/reconciliation/hour/2026-01-05T10.jsonl');
    expect(puts.get(r.fullListKey!)!.split('\n')).toHaveLength(4);
  });

  it('blames an unpublished batch hour', async () => {
    const { deps, batch } = setup();
    batch.hours.clear();
    batch.cells.clear();
    const r = await reconcileHour(deps, H);
    expect(r.causes.batch_hour_missing).toBe(3);
    expect(r.batchHoursPublished).toBe(0);
  });
});

describe('reconcileDay', () => {
  it('covers the whole day and refuses a bad date', async () => {
    wholeMinutes = true;
    const { deps, speed } = setup();
    const r = await reconcileDay(deps, '2026-01-05');
    expect(r).toMatchObject({ id: '2026-01-05', scope: 'day', from: Date.UTC(2026, 0, 5), status: 'match' });
    // One read of each view per minute, never one per possible slice.
    expect(speed.calls).toHaveLength(24 * 60);
    expect(speed.calls.every((c) => c.startsWith('minuteCells'))).toBe(true);
    await expect(reconcileDay(deps, '2026-13-01')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});
