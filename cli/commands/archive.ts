import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Archiver } from '../../batch-layer/archiver/archiver.ts';
import { KafkaArchiveSource } from '../../batch-layer/archiver/kafka-archive-source.ts';
import { createParquetWriter } from '../../batch-layer/parquet/create-parquet-writer.ts';
import type { ParquetWriterKind } from '../../batch-layer/parquet/types.ts';
import { BatchRuntime, batchSettingsFrom } from '../../batch-layer/runtime.ts';
import { sweepDeadStaging } from '../../batch-layer/staging.ts';
import { AdclickError, ErrorCodes } from '../../shared/errors/errors.ts';
import {
  collectProcessMetrics,
  METRICS_PORT_OFFSETS,
  startMetricsServer,
} from '../../shared/metrics/metrics.ts';
import { intOption, parseOptions } from '../args.ts';
import type { CliCommand } from '../types.ts';

export const command: CliCommand = {
  name: 'archive',
  summary: 'Run the archiver: Kafka ad-clicks → Parquet raw lake in S3 (valid and rejected)',
  help: `Usage: adclick archive [options]

Consumes ad-clicks (KAFKA_TOPIC) with its own consumer group and writes every record to the lake
(S3_BUCKET) as Parquet: valid clicks under raw/dt=YYYY-MM-DD/hour=HH/ by event time, invalid ones
under rejected/ with the reason. Objects are named p<partition>-<firstOffset>-<lastOffset>.parquet;
offsets are committed only after the upload, so a crash loses nothing. Runs until SIGINT/SIGTERM,
then flushes what it holds.

Options (defaults come from the environment variable named):
  --writer <duckdb|parquetjs>  Parquet writer (PARQUET_WRITER, default duckdb)
  --max-rows <n>               roll a partition's file after n records (ARCHIVE_MAX_ROWS, default 200000)
  --max-age-ms <ms>            roll a partition's file after this age (ARCHIVE_MAX_AGE_MS, default 60000)
  --group <id>                 consumer group (default adclick-archiver)
  --lake-root <prefix/>        key prefix inside the bucket (default none)
  --session-timeout <ms>       consumer group session timeout: how long the partitions of a
                               crashed archiver wait before another member takes them (default 30000)
  --metrics-port <n>           port of GET /metrics and /healthz (default METRICS_PORT + 1, i.e.
                               9465; 0 = any free port)
  -h, --help                   this text`,
  async run(ctx) {
    const o = parseOptions('archive', ctx.argv, {
      writer: { type: 'string' },
      'max-rows': { type: 'string' },
      'max-age-ms': { type: 'string' },
      group: { type: 'string' },
      'lake-root': { type: 'string' },
      'metrics-port': { type: 'string' },
      'session-timeout': { type: 'string' },
    });
    const config = ctx.config();
    const logger = ctx.logger();
    const settings = batchSettingsFrom(config, {
      lakeRoot: o['lake-root'],
      writer: o.writer === undefined ? undefined : writerKind(o.writer),
      archiveMaxRows: intOption('archive', 'max-rows', o['max-rows'], config.batch.archiveMaxRows, 1),
      archiveMaxAgeMs: intOption('archive', 'max-age-ms', o['max-age-ms'], config.batch.archiveMaxAgeMs, 1),
    });
    const metricsPort = intOption(
      'archive',
      'metrics-port',
      o['metrics-port'],
      config.ports.metrics + METRICS_PORT_OFFSETS.archiver,
    );
    const stagingRoot = join(config.home, 'staging', 'archiver');
    await sweepDeadStaging(stagingRoot, (name) => (/^\d+$/.test(name) ? Number(name) : undefined));
    const writer = createParquetWriter(settings.writer);
    const runtime = new BatchRuntime(config, settings, logger, 'archiver');
    await runtime.start();
    collectProcessMetrics(runtime.metrics.registry);
    const metrics = await startMetricsServer({
      registry: runtime.metrics.registry,
      host: config.bindHost,
      port: metricsPort,
      logger,
    });
    const archiver = new Archiver(
      {
        source: new KafkaArchiveSource({
          brokers: config.kafka.brokers,
          clientId: `${config.kafka.clientId}-archiver`,
          topic: config.kafka.topic,
          groupId: o.group ?? 'adclick-archiver',
          sessionTimeoutMs: intOption('archive', 'session-timeout', o['session-timeout'], 30_000, 3_000),
          logger,
        }),
        objects: runtime.objects,
        layout: runtime.layout,
        ledger: runtime.ledger,
        writer,
        logger,
        onFlush: (f) => {
          runtime.metrics.archived.inc({ kind: 'raw' }, f.valid);
          runtime.metrics.archived.inc({ kind: 'rejected' }, f.rejected);
          runtime.metrics.archiveFlush.observe(f.ms / 1000);
        },
      },
      {
        stagingDir: join(stagingRoot, String(process.pid)),
        maxRows: settings.archiveMaxRows,
        maxAgeMs: settings.archiveMaxAgeMs,
      },
    );
    try {
      await archiver.start();
      logger.info(
        { writer: writer.kind, topic: config.kafka.topic, metrics: `${metrics.url}/metrics` },
        'archiver started',
      );
      await new Promise<void>((resolve) =>
        ctx.stopSignal.addEventListener('abort', () => resolve(), { once: true }),
      );
      await archiver.close();
      await rm(join(stagingRoot, String(process.pid)), { recursive: true, force: true });
      logger.info({ ...archiver.stats }, 'archiver stopped');
    } finally {
      await metrics.close();
      await runtime.close();
    }
    return 0;
  },
};

function writerKind(value: string): ParquetWriterKind {
  if (value !== 'duckdb' && value !== 'parquetjs')
    throw new AdclickError(
      ErrorCodes.INVALID_INPUT,
      `--writer must be duckdb or parquetjs, got "${value}". See \`adclick archive --help\`.`,
    );
  return value;
}
