import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ReconciliationReport } from '../reconciliation/types.ts';

/** The serving layer's Prometheus metrics, on a registry of its own (served at `/metrics`). */
export class ApiMetrics {
  readonly registry = new Registry();
  readonly requestSeconds = new Histogram({
    name: 'adclick_api_request_seconds',
    help: 'Query API request duration by route and status',
    labelNames: ['route', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
    registers: [this.registry],
  });
  readonly popularMethod = new Counter({
    name: 'adclick_api_popular_ads_total',
    help: 'popular_ads answers by how they were built (stored top list or per-ad sums)',
    labelNames: ['method'],
    registers: [this.registry],
  });
  readonly cacheReads = new Counter({
    name: 'adclick_api_cache_reads_total',
    help: 'Reads of the serving caches (batch, speed, speed_open, answers, live_answers, closed_sums) by result (hit/miss)',
    labelNames: ['cache', 'result'],
    registers: [this.registry],
  });
  readonly reconciliationMismatching = new Gauge({
    name: 'adclick_reconciliation_mismatching_cells',
    help: 'Mismatching cells in the newest reconciliation report, by scope (day/hour)',
    labelNames: ['scope'],
    registers: [this.registry],
  });
  readonly reconciliationUnexplained = new Gauge({
    name: 'adclick_reconciliation_unexplained_cells',
    help: 'Mismatching cells with no known cause in the newest reconciliation report, by scope',
    labelNames: ['scope'],
    registers: [this.registry],
  });

  /** Counts one read of the cache `cache` (pass as a cache's `onRead`). */
  recordCacheRead = (cache: string, hit: boolean): void => {
    this.cacheReads.inc({ cache, result: hit ? 'hit' : 'miss' });
  };

  /** Records a finished reconciliation (pass as `ReconcileDeps.onReport`). */
  recordReport = (report: ReconciliationReport): void => {
    this.reconciliationMismatching.set({ scope: report.scope }, report.cellsMismatching);
    this.reconciliationUnexplained.set({ scope: report.scope }, report.causes.unexplained);
  };
}
