import { join } from 'node:path';
import type { BatchViewStore } from '../shared/aggregate-store/types.ts';
import { definitionFrom } from '../shared/aggregation/definition.ts';
import type { AdclickConfig } from '../shared/config/types.ts';
import type { Logger } from '../shared/logger/logger.ts';
import { s3OptionsFrom } from '../shared/s3/options.ts';
import { S3ObjectStore } from '../shared/s3/s3-object-store.ts';
import { BatchJobs, type ReconcileDayHook } from './jobs/batch-jobs.ts';
import { LakeLayout } from './lake/lake-layout.ts';
import { RedisHourLedger } from './ledger/redis-hour-ledger.ts';
import { BatchMetrics } from './metrics/batch-metrics.ts';
import type { ParquetWriterKind } from './parquet/types.ts';
import { BullMqBatchQueues } from './queues/bullmq-batch-queues.ts';
import { DuckDbRecomputeEngine } from './recompute/duckdb-recompute-engine.ts';
import { HourRecomputer } from './recompute/hour-recomputer.ts';
import { sweepDeadStaging } from './staging.ts';

/**
 * Batch-layer settings: `config.batch` (env `BATCH_HOURLY_CRON`, `BATCH_NIGHTLY_CRON`,
 * `BATCH_CLOSE_MARGIN_MS`, `PARQUET_WRITER`, `ARCHIVE_MAX_ROWS`, `ARCHIVE_MAX_AGE_MS`) plus what
 * only a command line sets (lake root, test queue suffix). Build with {@link batchSettingsFrom}.
 */
export interface BatchSettings {
  /** Cron (UTC) of the `hourly` scan for closed dirty hours. */
  hourlyCron: string;
  /** Cron (UTC) of the `nightly` recompute + reconciliation of the previous day. */
  nightlyCron: string;
  /** Added to the allowed lateness before an hour counts as closed. */
  closeMarginMs: number;
  /** Lake key root inside the bucket (default none). */
  lakeRoot: string;
  /** Archiver Parquet writer. */
  writer: ParquetWriterKind;
  /** The archiver rolls a partition's file after this many records… */
  archiveMaxRows: number;
  /** …or once its oldest record waited this long. */
  archiveMaxAgeMs: number;
  /**
   * A job (and its hour lock) whose worker stops renewing them for this long — a crashed or
   * killed worker — is taken over by another worker (default 30 s).
   */
  lockMs: number;
  /** Extra prefix of Redis keys, after `redis.queuePrefix` (tests). */
  queueSuffix: string;
}

/** Settings from `config.batch`, with command-line overrides on top. */
export function batchSettingsFrom(
  config: AdclickConfig,
  overrides: Partial<BatchSettings> = {},
): BatchSettings {
  const b = config.batch;
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  return {
    hourlyCron: b.hourlyCron,
    nightlyCron: b.nightlyCron,
    closeMarginMs: b.closeMarginMs,
    lakeRoot: '',
    writer: b.parquetWriter,
    archiveMaxRows: b.archiveMaxRows,
    archiveMaxAgeMs: b.archiveMaxAgeMs,
    lockMs: 30_000,
    queueSuffix: '',
    ...defined,
  };
}

/** The batch layer's components, built from configuration (used by the CLI commands). */
export class BatchRuntime {
  readonly objects: S3ObjectStore;
  readonly layout: LakeLayout;
  readonly ledger: RedisHourLedger;
  readonly queues: BullMqBatchQueues;
  readonly metrics: BatchMetrics;
  readonly closedAfterMs: number;
  /** Where recomputes stage the hour's objects (one folder per job). */
  readonly stagingDir: string;

  constructor(
    readonly config: AdclickConfig,
    readonly settings: BatchSettings,
    readonly logger: Logger,
    component: 'archiver' | 'batch' = 'batch',
  ) {
    this.metrics = new BatchMetrics(component);
    const prefix = `${config.redis.queuePrefix}${settings.queueSuffix}`;
    this.objects = new S3ObjectStore(s3OptionsFrom(config), logger);
    this.layout = new LakeLayout(settings.lakeRoot);
    this.ledger = new RedisHourLedger({ url: config.redis.url, prefix });
    this.queues = new BullMqBatchQueues({ redisUrl: config.redis.url, prefix, logger });
    this.closedAfterMs = config.aggregation.allowedLatenessMs + settings.closeMarginMs;
    this.stagingDir = join(config.home, 'staging', 'batch');
  }

  async start(): Promise<void> {
    // Recompute staging folders are named `<hour>-<pid>-<started>`.
    await sweepDeadStaging(this.stagingDir, (name) => {
      const m = /-(\d+)-\d+$/.exec(name);
      return m === null ? undefined : Number(m[1]);
    });
    await this.objects.start();
    await this.ledger.start();
  }

  /** The job logic over a batch view store; each recompute gets its own DuckDB engine. */
  jobs(view: BatchViewStore, reconcileDay?: ReconcileDayHook): BatchJobs {
    const definition = definitionFrom(this.config);
    const purge = view.purgeSupersededVersions?.bind(view);
    return new BatchJobs({
      ledger: this.ledger,
      closedAfterMs: this.closedAfterMs,
      lockTtlMs: this.settings.lockMs,
      lockWaitMs: 15 * 60_000,
      logger: this.logger,
      ...(reconcileDay === undefined ? {} : { reconcileDay }),
      enqueueRecompute: (hour, generation) => this.queues.enqueueRecompute(hour, generation),
      recomputeHour: async (hour) => {
        const engine = new DuckDbRecomputeEngine();
        try {
          const recomputer = new HourRecomputer({
            objects: this.objects,
            layout: this.layout,
            engine,
            view,
            ledger: this.ledger,
            definition,
            stagingDir: this.stagingDir,
            logger: this.logger,
            closedAfterMs: this.closedAfterMs,
            ...(purge === undefined ? {} : { purgeSuperseded: purge }),
          });
          return await recomputer.recompute(hour);
        } finally {
          await engine.close();
        }
      },
    });
  }

  async close(): Promise<void> {
    await this.queues.close();
    await this.ledger.close();
    await this.objects.close();
  }
}
