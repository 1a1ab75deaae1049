import { Writable } from 'node:stream';
import { AccessControl } from '../../../../serving-layer/access/access.ts';
import { ApiMetrics } from '../../../../serving-layer/api/api-metrics.ts';
import { type ApiDeps, createApiApp } from '../../../../serving-layer/api/app.ts';
import { MergedView } from '../../../../serving-layer/merge/merged-view.ts';
import type { ReconciliationReport } from '../../../../serving-layer/reconciliation/types.ts';
import { MINUTE_MS } from '../../../../shared/aggregation/time.ts';
import type { ApiToken } from '../../../../shared/config/types.ts';
import { createLogger } from '../../../../shared/logger/logger.ts';
import { FakeView } from '../fake-views.ts';

export const T0 = Date.UTC(2026, 0, 5, 10, 0);
export const m = (i: number) => T0 + i * MINUTE_MS;
export const ADMIN = 'admin-token-123';
export const ACME = 'acme-token-456';
export const TOKENS: ApiToken[] = [
  { token: ADMIN, role: 'admin', adPrefixes: [] },
  { token: ACME, role: 'scoped', adPrefixes: ['acme-'] },
];

export const REPORT: ReconciliationReport = {
  id: '2026-01-05',
  scope: 'day',
  from: Date.UTC(2026, 0, 5),
  to: Date.UTC(2026, 0, 6),
  status: 'mismatch',
  speedTotal: 10,
  batchTotal: 11,
  cellsCompared: 4,
  cellsMatching: 3,
  cellsMismatching: 1,
  causes: { late_clicks: 1, batch_hour_missing: 0, unexplained: 0 },
  mismatches: [
    { adId: 'acme-1', slice: 'all', minute: m(1), speed: 1, batch: 2, raw: 2, late: 1, cause: 'late_clicks' },
  ],
  fullListKey: 'reports/reconciliation/day/2026-01-05.jsonl',
  batchHoursPublished: 24,
  generatedAt: 1,
};

/** A query API over in-memory views: batch has minutes 0–9, speed 10–14; `log` collects every log line. */
export function testApp(tokens: ApiToken[] = [], overrides: Partial<ApiDeps> = {}) {
  const batch = new FakeView();
  const speed = new FakeView();
  batch.wm = m(10);
  for (let i = 0; i < 10; i++)
    batch.set('acme-1', 'all', m(i), 2).set('other-1', 'all', m(i), 3).set('acme-1', 'country=US', m(i), 1);
  for (let i = 10; i < 15; i++) speed.set('acme-1', 'all', m(i), 4).set('other-1', 'all', m(i), 1);
  let log = '';
  const destination = new Writable({
    write(chunk, _enc, done) {
      log += String(chunk);
      done();
    },
  });
  const logger = createLogger({ level: 'debug', destination });
  const deps: ApiDeps = {
    merged: new MergedView({ batch, speed }, { topN: 100 }),
    access: new AccessControl(tokens),
    definition: { dimensions: ['country'], windowsMinutes: [1, 5, 15, 60], topN: 100 },
    reports: {
      save: async () => {},
      get: async (id) => (id === REPORT.id ? REPORT : undefined),
      recentDays: async () => [REPORT],
    },
    metrics: new ApiMetrics(),
    logger,
    ready: async () => true,
    now: () => m(14) + 5000,
    ...overrides,
  };
  const app = createApiApp(deps);
  const get = async (path: string, token?: string) => {
    const res = await app.request(
      path,
      token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } },
    );
    const type = res.headers.get('content-type') ?? '';
    // biome-ignore lint/suspicious/noExplicitAny: tests inspect answers loosely
    const body: any = type.includes('json') ? await res.json() : await res.text();
    return { status: res.status, body };
  };
  return { app, get, batch, speed, deps, log: () => log };
}
