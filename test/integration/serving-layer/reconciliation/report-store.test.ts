import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CassandraReconciliationReportStore } from '../../../../serving-layer/reconciliation/cassandra-report-store.ts';
import type { ReconciliationReport } from '../../../../serving-layer/reconciliation/types.ts';
import { createTestKeyspace, type TestKeyspace } from '../../../../shared/cassandra/testing.ts';
import { requireCassandra, testConfig } from '../../../helpers/services.ts';

const config = testConfig();
let ks: TestKeyspace;
let store: CassandraReconciliationReportStore;

function report(id: string, overrides: Partial<ReconciliationReport> = {}): ReconciliationReport {
  const from = Date.parse(id.length === 10 ? `${id}T00:00:00Z` : `${id}:00:00Z`);
  return {
    id,
    scope: id.length === 10 ? 'day' : 'hour',
    from,
    to: from + (id.length === 10 ? 86_400_000 : 3_600_000),
    status: 'match',
    speedTotal: 5,
    batchTotal: 5,
    cellsCompared: 2,
    cellsMatching: 2,
    cellsMismatching: 0,
    causes: { late_clicks: 0, batch_hour_missing: 0, unexplained: 0 },
    mismatches: [],
    fullListKey: null,
    batchHoursPublished: 1,
    generatedAt: from + 90_000_000,
    ...overrides,
  };
}

beforeAll(async () => {
  await requireCassandra(config);
  ks = await createTestKeyspace({ config, prefix: 'recon' });
  store = new CassandraReconciliationReportStore(ks.client, ks.keyspace);
});
afterAll(async () => ks?.drop());

describe('CassandraReconciliationReportStore', () => {
  it('stores a report and reads it back whole; a rerun of the same id replaces it', async () => {
    const mismatch = report('2026-01-05', {
      status: 'mismatch',
      cellsMismatching: 1,
      cellsMatching: 1,
      causes: { late_clicks: 1, batch_hour_missing: 0, unexplained: 0 },
      mismatches: [
        { adId: 'ad-1', slice: 'all', minute: 1, speed: 1, batch: 2, raw: 2, late: 1, cause: 'late_clicks' },
      ],
      fullListKey: 'reports/reconciliation/day/2026-01-05.jsonl',
    });
    await store.save(mismatch);
    expect(await store.get('2026-01-05')).toEqual(mismatch);
    const fixed = report('2026-01-05', { generatedAt: mismatch.generatedAt + 1 });
    await store.save(fixed);
    expect(await store.get('2026-01-05')).toEqual(fixed);
  });

  it('keeps hour reports apart from day reports and lists the newest days first', async () => {
    await store.save(report('2026-01-03'));
    await store.save(report('2026-01-04'));
    await store.save(report('2026-01-04T10'));
    expect((await store.get('2026-01-04T10'))?.scope).toBe('hour');
    expect(await store.get('2026-01-06')).toBeUndefined();
    expect((await store.recentDays(2)).map((r) => r.id)).toEqual(['2026-01-05', '2026-01-04']);
    expect((await store.recentDays(10)).map((r) => r.id)).toEqual(['2026-01-05', '2026-01-04', '2026-01-03']);
  });
});
