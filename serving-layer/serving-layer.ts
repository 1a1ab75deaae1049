import { join } from 'node:path';
import type { Client } from 'cassandra-driver';
import type { BatchViewStore, SpeedViewStore } from '../shared/aggregate-store/types.ts';
import { definitionFrom } from '../shared/aggregation/definition.ts';
import { MINUTE_MS } from '../shared/aggregation/time.ts';
import type { AdclickConfig } from '../shared/config/types.ts';
import type { Logger } from '../shared/logger/logger.ts';
import { METRICS_PORT_OFFSETS } from '../shared/metrics/metrics.ts';
import type { ObjectStore } from '../shared/object-store/types.ts';
import { AccessControl } from './access/access.ts';
import { ApiMetrics } from './api/api-metrics.ts';
import { ApiServer } from './api/api-server.ts';
import { scrapeMetrics } from './api/pipeline-health.ts';
import { loadDashboardAssets } from './dashboard/assets.ts';
import { CachedBatchView } from './merge/cached-batch-view.ts';
import { CachedSpeedView } from './merge/cached-speed-view.ts';
import { MergedView } from './merge/merged-view.ts';
import { CassandraReconciliationReportStore } from './reconciliation/cassandra-report-store.ts';
import { DuckDbLakeEvidence } from './reconciliation/duckdb-lake-evidence.ts';
import type { ReconcileDeps } from './reconciliation/types.ts';
import { LakeCache } from './sql/lake-cache.ts';

/** Started stores the serving layer reads (the caller owns their lifecycle). */
export interface ServingStores {
  speed: SpeedViewStore;
  batch: BatchViewStore;
  /** A connected Cassandra client for the reconciliation reports table. */
  cassandra: Client;
  objects: ObjectStore;
}

/**
 * Everything reconciliation needs, from the configuration and started stores — what the batch
 * layer's nightly job and `adclick reconcile` pass to `reconcileDay` / `reconcileHour`.
 */
export function reconcileDepsFrom(
  config: AdclickConfig,
  stores: ServingStores,
  logger: Logger,
  metrics?: ApiMetrics,
): ReconcileDeps {
  const definition = definitionFrom(config);
  return {
    speed: stores.speed,
    batch: stores.batch,
    reports: new CassandraReconciliationReportStore(stores.cassandra, config.cassandra.keyspace),
    objects: stores.objects,
    lake: new DuckDbLakeEvidence({
      cache: new LakeCache(stores.objects, join(config.home, 'cache', 'lake', config.s3.bucket)),
      definition,
      allowedLatenessMs: config.aggregation.allowedLatenessMs,
    }),
    definition,
    logger: logger.child({ component: 'reconciliation' }),
    ...(metrics === undefined ? {} : { onReport: metrics.recordReport }),
  };
}

/** Builds (not starts) the query API and dashboard server on `config.ports.api`. */
export function createServingLayer(config: AdclickConfig, stores: ServingStores, logger: Logger): ApiServer {
  const definition = definitionFrom(config);
  const metrics = new ApiMetrics();
  const base = config.ports.metrics;
  return new ApiServer(
    {
      merged: cachedMergedView(config, stores, { onCacheRead: metrics.recordCacheRead }),
      access: new AccessControl(config.apiTokens),
      definition,
      reports: new CassandraReconciliationReportStore(stores.cassandra, config.cassandra.keyspace),
      metrics,
      logger: logger.child({ component: 'api' }),
      ready: async () => (await stores.speed.isReady()) && (await stores.batch.isReady()),
      // Each layer serves /metrics on the base port plus its own offset (shared/metrics).
      pipeline: scrapeMetrics(
        Object.values(METRICS_PORT_OFFSETS).map((i) => `http://127.0.0.1:${base + i}/metrics`),
      ),
      dashboard: loadDashboardAssets(),
    },
    { host: config.bindHost, port: config.ports.api },
  );
}

/** How long a closed speed minute, or a `popular` answer over closed minutes, is reused. */
export const SPEED_CACHE_TTL_MS = 5000;
/** How long the batch view's hour → version pointers are reused: the staleness after a re-publish. */
export const BATCH_POINTER_TTL_MS = 1000;

/**
 * The merged view the API reads, with its caches: published batch hours by version (re-read of the
 * hour → version pointers once a second), closed speed minutes briefly, and whole `popular`
 * answers over closed windows. A minute counts as closed once the speed layer's watermark has
 * surely passed it: allowed lateness plus the idle timeout (after which an idle partition's
 * watermark follows the clock) plus a minute's margin for its flush.
 *
 * Open minutes, and `popular` answers over windows still open, are reused within the freshness
 * budget `config.serving.liveCacheMs`. A `popular` answer built from cached open reads is as old
 * as its oldest read, so for it the budget is split between the two caches; one ad's open cells
 * feed count answers that are not cached, so they have the whole budget. Either way a click is
 * visible within it.
 */
export function cachedMergedView(
  config: AdclickConfig,
  stores: Pick<ServingStores, 'speed' | 'batch'>,
  options: { now?: () => number; onCacheRead?: (cache: string, hit: boolean) => void } = {},
): MergedView {
  const { allowedLatenessMs, idleTimeoutMs, topN } = config.aggregation;
  const now = options.now === undefined ? {} : { now: options.now };
  const record = options.onCacheRead;
  const told = (cache: string) =>
    record === undefined ? {} : { onRead: (hit: boolean) => record(cache, hit) };
  const budget = config.serving.liveCacheMs;
  const openTtlMs = Math.floor(budget / 2);
  const speed = new CachedSpeedView(stores.speed, {
    closedAfterMs: allowedLatenessMs + idleTimeoutMs + MINUTE_MS,
    ttlMs: SPEED_CACHE_TTL_MS,
    openTtlMs,
    // Count and series answers are not cached on top of an ad's cells: the whole budget is theirs.
    openCellsTtlMs: budget,
    ...now,
    ...told('speed'),
    ...(record === undefined ? {} : { onOpenRead: (hit: boolean) => record('speed_open', hit) }),
  });
  const batch = new CachedBatchView(stores.batch, {
    pointerTtlMs: BATCH_POINTER_TTL_MS,
    ...now,
    ...told('batch'),
  });
  return new MergedView(
    { speed, batch },
    {
      topN,
      watermarkCacheMs: 1000,
      popularCache: {
        ttlMs: SPEED_CACHE_TTL_MS,
        liveTtlMs: budget - openTtlMs,
        closedBefore: () => speed.closedBefore(),
        ...now,
        ...(record === undefined ? {} : { onRead: record }),
      },
    },
  );
}
