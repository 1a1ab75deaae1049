import { join } from 'node:path';
import { Archiver } from '../../batch-layer/archiver/archiver.ts';
import { KafkaArchiveSource } from '../../batch-layer/archiver/kafka-archive-source.ts';
import { createParquetWriter } from '../../batch-layer/parquet/create-parquet-writer.ts';
import { BATCH_DEFAULTS, BatchRuntime } from '../../batch-layer/runtime.ts';
import { intOption, parseOptions } from '../args.ts';
import type { CliCommand } from '../types.ts';

export const command: CliCommand = {
  name: 'archive',
  summary: 'Run the archiver: Kafka ad-clicks → Parquet raw lake in S3 (valid and rejected)',
  help: `Usage: adclick archive [options]

Consumes ad-clicks with its own consumer group and writes every record to the lake as Parquet:
valid clicks under raw/dt=YYYY-MM-DD/hour=HH/ by event time, invalid ones under rejected/ with the
reason. Objects are named p<partition>-<firstOffset>-<lastOffset>.parquet; offsets are committed
only after the upload, so a crash loses nothing. Runs until SIGINT/SIGTERM, then flushes.

Options:
  --writer <duckdb|parquetjs>  Parquet writer (default duckdb)
  --max-rows <n>               roll a partition's file after n records (default 200000)
  --max-age-ms <ms>            roll a partition's file after this age (default 60000)
  --group <id>                 consumer group (default adclick-archiver)
  --lake-root <prefix/>        key prefix inside the bucket (default none)
  -h, --help                   this text`,
  async run(ctx) {
    const o = parseOptions('archive', ctx.argv, {
      writer: { type: 'string' },
      'max-rows': { type: 'string' },
      'max-age-ms': { type: 'string' },
      group: { type: 'string' },
      'lake-root': { type: 'string' },
    });
    const config = ctx.config();
    const logger = ctx.logger();
    const writer = createParquetWriter(o.writer ?? BATCH_DEFAULTS.writer);
    const runtime = new BatchRuntime(config, { ...BATCH_DEFAULTS, lakeRoot: o['lake-root'] ?? '' }, logger);
    await runtime.start();
    const archiver = new Archiver(
      {
        source: new KafkaArchiveSource({
          brokers: config.kafka.brokers,
          clientId: `${config.kafka.clientId}-archiver`,
          topic: config.kafka.topic,
          groupId: o.group ?? 'adclick-archiver',
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
        stagingDir: join(config.home, 'staging', 'archiver'),
        maxRows: intOption('archive', 'max-rows', o['max-rows'], 200_000, 1),
        maxAgeMs: intOption('archive', 'max-age-ms', o['max-age-ms'], 60_000, 1),
      },
    );
    await archiver.start();
    logger.info({ writer: writer.kind, topic: config.kafka.topic }, 'archiver started');
    await new Promise<void>((resolve) =>
      ctx.stopSignal.addEventListener('abort', () => resolve(), { once: true }),
    );
    await archiver.close();
    await runtime.close();
    logger.info({ ...archiver.stats }, 'archiver stopped');
    return 0;
  },
};
