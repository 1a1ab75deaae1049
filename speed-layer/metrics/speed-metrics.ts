import { Counter, Gauge, Histogram } from 'prom-client';
import { createMetricsRegistry } from '../../shared/metrics/metrics.ts';

/** The speed layer's Prometheus metrics, in their own registry (one per process). */
export class SpeedMetrics {
  readonly registry = createMetricsRegistry('speed');
  readonly eventsIn = new Counter({
    name: 'adclick_speed_events_consumed_total',
    help: 'Records consumed from the click topic, by outcome (counted, duplicate, late, rejected)',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  readonly dlq = new Counter({
    name: 'adclick_speed_dlq_total',
    help: 'Records sent to the dead-letter topic',
    registers: [this.registry],
  });
  readonly late = new Counter({
    name: 'adclick_speed_late_clicks_total',
    help: 'Distinct clicks left out because their minute had closed (the batch layer counts them)',
    registers: [this.registry],
  });
  readonly duplicates = new Counter({
    name: 'adclick_speed_duplicate_clicks_total',
    help: 'Records whose click_id was already counted',
    registers: [this.registry],
  });
  readonly misKeyed = new Counter({
    name: 'adclick_speed_mis_keyed_total',
    help: 'Valid clicks found in a partition their ad_id does not hash to',
    registers: [this.registry],
  });
  readonly consumerLag = new Gauge({
    name: 'adclick_speed_consumer_lag_records',
    help: 'Records of the click topic not yet consumed, per partition (high watermark − next offset)',
    labelNames: ['partition'],
    registers: [this.registry],
  });
  readonly watermarkDelay = new Gauge({
    name: 'adclick_speed_watermark_delay_seconds',
    help: 'Wall clock minus watermark, per partition',
    labelNames: ['partition'],
    registers: [this.registry],
  });
  readonly flushSeconds = new Histogram({
    name: 'adclick_speed_flush_seconds',
    help: 'Time to write the cells of one flush (rounds queued behind a slow write are merged into one)',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
    registers: [this.registry],
  });
  readonly listsSeconds = new Histogram({
    name: 'adclick_speed_top_lists_seconds',
    help: 'Time to write the top lists and closed-minute markers of the rounds whose cells are written',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
    registers: [this.registry],
  });
  readonly planSeconds = new Histogram({
    name: 'adclick_speed_plan_seconds',
    help: 'Time to plan one flush round (changed cells, and top lists when ranked), on the event loop',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2],
    registers: [this.registry],
  });
  readonly cellsWritten = new Counter({
    name: 'adclick_speed_cells_written_total',
    help: 'Cells upserted into the speed view (a cell changed by several flushes counts each time)',
    registers: [this.registry],
  });
  readonly snapshotsFenced = new Counter({
    name: 'adclick_speed_snapshots_fenced_total',
    help: 'Snapshot saves refused because another process claimed the partition (state dropped)',
    registers: [this.registry],
  });
  readonly minutesClosed = new Counter({
    name: 'adclick_speed_minutes_closed_total',
    help: 'Minutes closed by a partition watermark (one marker row each in speed_closed_minutes)',
    registers: [this.registry],
  });
  readonly snapshotSeconds = new Histogram({
    name: 'adclick_speed_snapshot_seconds',
    help: 'Time to encode and save the snapshots due after a flush',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
    registers: [this.registry],
  });
  readonly snapshotBytes = new Gauge({
    name: 'adclick_speed_snapshot_bytes',
    help: 'Size of the last saved snapshot, per partition',
    labelNames: ['partition'],
    registers: [this.registry],
  });
  readonly flushFailures = new Counter({
    name: 'adclick_speed_flush_failures_total',
    help: 'Flushes that failed and will be retried',
    registers: [this.registry],
  });
  readonly backpressurePaused = new Gauge({
    name: 'adclick_speed_backpressure_paused',
    help: '1 while fetching from Kafka is stopped because writes to the speed view are behind',
    registers: [this.registry],
  });
  readonly backpressurePauses = new Counter({
    name: 'adclick_speed_backpressure_pauses_total',
    help: 'Times fetching from Kafka was stopped because writes to the speed view were behind',
    registers: [this.registry],
  });
  readonly adIds = new Gauge({
    name: 'adclick_speed_ad_ids',
    help: "Ad ids in a partition's table (its retained minutes' ads; drops when unused ones are pruned)",
    labelNames: ['partition'],
    registers: [this.registry],
  });
  readonly pendingRows = new Gauge({
    name: 'adclick_speed_pending_rows',
    help: 'Rows waiting to be written to the speed view (changed cells, top-list rows, closed-minute markers)',
    registers: [this.registry],
  });
}
