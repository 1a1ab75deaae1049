import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { createMetricsRegistry } from '../../shared/metrics/metrics.ts';
import type { QueueStatus } from '../jobs/types.ts';

/**
 * The batch layer's Prometheus metrics, in their own registry (one per process). `component`
 * (`archiver` or `batch`) labels every sample, as the dashboard's scrape expects.
 */
export class BatchMetrics {
  readonly registry: Registry = createMetricsRegistry('batch');

  constructor(component: 'archiver' | 'batch' = 'batch') {
    // Field initializers (the metrics below) run first and need the registry; only the label changes.
    this.registry.setDefaultLabels({ component });
  }

  readonly jobDuration = new Histogram({
    name: 'adclick_batch_job_duration_seconds',
    help: 'Duration of completed batch jobs',
    labelNames: ['queue', 'job'],
    buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900],
    registers: [this.registry],
  });
  readonly clicksRecomputed = new Counter({
    name: 'adclick_batch_clicks_recomputed_total',
    help: 'Distinct clicks in hours recomputed',
    labelNames: ['queue'],
    registers: [this.registry],
  });
  readonly failures = new Counter({
    name: 'adclick_batch_job_failures_total',
    help: 'Failed batch job attempts (final = no retry left)',
    labelNames: ['queue', 'final'],
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: 'adclick_batch_queue_jobs',
    help: 'Jobs per queue and state',
    labelNames: ['queue', 'state'],
    registers: [this.registry],
  });
  readonly archived = new Counter({
    name: 'adclick_archiver_records_total',
    help: 'Records archived to the lake, by kind (raw or rejected)',
    labelNames: ['kind'],
    registers: [this.registry],
  });
  readonly archiveFlush = new Histogram({
    name: 'adclick_archiver_flush_seconds',
    help: 'Time to write, upload and commit one partition roll',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    registers: [this.registry],
  });

  recordQueues(status: readonly QueueStatus[]): void {
    for (const q of status) {
      for (const [state, n] of Object.entries(q.counts)) this.queueDepth.set({ queue: q.queue, state }, n);
    }
  }
}
