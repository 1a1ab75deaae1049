import { QUEUE_NAMES, type QueueName } from '../../batch-layer/jobs/types.ts';
import type { HourRecomputeResult } from '../../batch-layer/recompute/hour-recomputer.ts';
import { BatchRuntime, batchSettingsFrom } from '../../batch-layer/runtime.ts';
import { reconcileDay } from '../../serving-layer/reconciliation/reconcile.ts';
import { reconcileDepsFrom } from '../../serving-layer/serving-layer.ts';
import { openServingStores } from '../../serving-layer/serving-stores.ts';
import { AdclickError, ErrorCodes } from '../../shared/errors/errors.ts';
import {
  collectProcessMetrics,
  METRICS_PORT_OFFSETS,
  startMetricsServer,
} from '../../shared/metrics/metrics.ts';
import { intOption, parseOptions } from '../args.ts';
import type { CliCommand } from '../types.ts';

export const command: CliCommand = {
  name: 'batch',
  summary: 'Run the batch layer (BullMQ scheduler and workers), or show its queues and failed jobs',
  help: `Usage: adclick batch [options]
       adclick batch status [--json]
       adclick batch retry-failed [--queue hourly|nightly|replay]

Without a subcommand: registers the repeatable schedules and runs workers until SIGINT/SIGTERM.
  hourly   every --hourly-cron: enqueue each closed hour (older than the allowed lateness plus
           --close-margin-ms) that got new raw data, one job per hour and lake generation
  nightly  at --nightly-cron: recompute the previous UTC day, then reconcile it (speed vs batch
           view, the report stored as by \`adclick reconcile\`)
  replay   jobs put there by \`adclick replay\` (own queue and workers)
Any number of processes may run it; a lock per hour keeps one hour on one worker at a time.

Options (defaults come from the environment variable named):
  --queues <list>          queues this process serves (default hourly,nightly,replay)
  --hourly-cron <cron>     UTC (BATCH_HOURLY_CRON, default "*/5 * * * *")
  --nightly-cron <cron>    UTC (BATCH_NIGHTLY_CRON, default "30 1 * * *")
  --close-margin-ms <ms>   added to ALLOWED_LATENESS_MS before an hour is closed
                           (BATCH_CLOSE_MARGIN_MS, default 300000)
  --lake-root <prefix/>    key prefix inside the bucket (default none)
  --lock-ms <ms>           a job whose worker dies (and the hour it locked) is taken over by
                           another worker after this long (default 30000)
  --metrics-port <n>       port of GET /metrics and /healthz (default METRICS_PORT + 2, i.e.
                           9466; 0 = any free port)
  --json                   (status) print JSON
  -h, --help               this text`,
  async run(ctx) {
    const first = ctx.argv[0];
    const sub = first !== undefined && !first.startsWith('-') ? first : undefined;
    const rest = sub === undefined ? ctx.argv : ctx.argv.slice(1);
    const o = parseOptions('batch', rest, {
      queues: { type: 'string' },
      queue: { type: 'string' },
      'hourly-cron': { type: 'string' },
      'nightly-cron': { type: 'string' },
      'close-margin-ms': { type: 'string' },
      'lake-root': { type: 'string' },
      'metrics-port': { type: 'string' },
      'lock-ms': { type: 'string' },
      json: { type: 'boolean' },
    });
    const logger = ctx.logger();
    const config = ctx.config();
    const settings = batchSettingsFrom(config, {
      hourlyCron: o['hourly-cron'],
      nightlyCron: o['nightly-cron'],
      closeMarginMs: intOption('batch', 'close-margin-ms', o['close-margin-ms'], config.batch.closeMarginMs),
      lakeRoot: o['lake-root'],
      lockMs: intOption('batch', 'lock-ms', o['lock-ms'], 30_000, 1_000),
    });
    const runtime = new BatchRuntime(config, settings, logger, 'batch');
    try {
      if (sub === 'status') {
        const status = await runtime.queues.status();
        if (o.json) console.log(JSON.stringify(status, null, 2));
        else {
          for (const q of status) {
            const c = q.counts;
            console.log(
              `${q.queue.padEnd(8)} waiting ${c.waiting}  active ${c.active}  delayed ${c.delayed}  completed ${c.completed}  failed ${c.failed}` +
                (q.schedules.length > 0 ? `  schedule ${q.schedules.map((s) => s.pattern).join(', ')}` : ''),
            );
            for (const f of q.failed)
              console.log(`  failed ${f.id} (${f.name}, ${f.attempts} attempts): ${f.reason}`);
          }
        }
        return status.some((q) => q.counts.failed > 0) ? 1 : 0;
      }
      if (sub === 'retry-failed') {
        const queues = o.queue === undefined ? QUEUE_NAMES : [queueName(o.queue)];
        for (const q of queues)
          console.log(`${q}: ${await runtime.queues.retryFailed(q)} failed job(s) retried`);
        return 0;
      }
      if (sub !== undefined)
        throw new AdclickError(
          ErrorCodes.INVALID_INPUT,
          `unknown subcommand "${sub}". See \`adclick batch --help\`.`,
        );

      await runtime.start();
      // The serving layer's stores: the batch view the jobs write, and the speed view plus report
      // store the nightly reconciliation reads and writes.
      const stores = await openServingStores(config, logger);
      const reconcile = reconcileDepsFrom(config, stores, logger);
      const jobs = runtime.jobs(stores.batch, async (date) => {
        const report = await reconcileDay(reconcile, date);
        return {
          status: report.status,
          speedTotal: report.speedTotal,
          batchTotal: report.batchTotal,
          cellsMismatching: report.cellsMismatching,
        };
      });
      collectProcessMetrics(runtime.metrics.registry);
      const metrics = await startMetricsServer({
        registry: runtime.metrics.registry,
        host: config.bindHost,
        port: intOption(
          'batch',
          'metrics-port',
          o['metrics-port'],
          config.ports.metrics + METRICS_PORT_OFFSETS.batch,
        ),
        logger,
      });
      const queues = o.queues === undefined ? QUEUE_NAMES : o.queues.split(',').map(queueName);
      await runtime.queues.schedule({ hourly: settings.hourlyCron, nightly: settings.nightlyCron });
      runtime.queues.startWorkers(
        {
          scan: () => jobs.scan(),
          recompute: (hour) => jobs.recompute(hour),
          day: (data, at) => jobs.day(data.date, at),
        },
        {
          queues,
          lockDurationMs: settings.lockMs,
          onCompleted: (queue, job) => {
            runtime.metrics.jobDuration.observe({ queue, job: job.name }, job.durationMs / 1000);
            const clicks = (job.result as Partial<HourRecomputeResult> | undefined)?.clicks;
            if (typeof clicks === 'number') runtime.metrics.clicksRecomputed.inc({ queue }, clicks);
          },
          onFailed: (queue, job) => runtime.metrics.failures.inc({ queue, final: String(job.final) }),
        },
      );
      const depth = setInterval(() => {
        runtime.queues.status(0).then(
          (s) => runtime.metrics.recordQueues(s),
          () => undefined,
        );
      }, 15_000);
      logger.info(
        {
          queues,
          hourlyCron: settings.hourlyCron,
          nightlyCron: settings.nightlyCron,
          metrics: `${metrics.url}/metrics`,
        },
        'batch layer started',
      );
      await new Promise<void>((resolve) =>
        ctx.stopSignal.addEventListener('abort', () => resolve(), { once: true }),
      );
      clearInterval(depth);
      await runtime.queues.close();
      await metrics.close();
      await stores.close();
      return 0;
    } finally {
      await runtime.close();
    }
  },
};

function queueName(value: string): QueueName {
  if (!(QUEUE_NAMES as readonly string[]).includes(value))
    throw new AdclickError(
      ErrorCodes.INVALID_INPUT,
      `queue must be one of ${QUEUE_NAMES.join(', ')}, got "${value}"`,
    );
  return value as QueueName;
}
