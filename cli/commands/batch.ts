import { QUEUE_NAMES, type QueueName } from '../../batch-layer/jobs/types.ts';
import type { HourRecomputeResult } from '../../batch-layer/recompute/hour-recomputer.ts';
import { BATCH_DEFAULTS, BatchRuntime } from '../../batch-layer/runtime.ts';
import { openBatchViewStore } from '../../batch-layer/view-store.ts';
import { AdclickError, ErrorCodes } from '../../shared/errors/errors.ts';
import { parseOptions } from '../args.ts';
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
  nightly  at --nightly-cron: recompute the previous UTC day, then reconcile it
  replay   jobs put there by \`adclick replay\` (own queue and workers)
Any number of processes may run it; a lock per hour keeps one hour on one worker at a time.

Options:
  --queues <list>          queues this process serves (default hourly,nightly,replay)
  --hourly-cron <cron>     UTC (default "${BATCH_DEFAULTS.hourlyCron}")
  --nightly-cron <cron>    UTC (default "${BATCH_DEFAULTS.nightlyCron}")
  --close-margin-ms <ms>   (default ${BATCH_DEFAULTS.closeMarginMs})
  --lake-root <prefix/>    key prefix inside the bucket (default none)
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
      json: { type: 'boolean' },
    });
    const logger = ctx.logger();
    const settings = {
      ...BATCH_DEFAULTS,
      hourlyCron: o['hourly-cron'] ?? BATCH_DEFAULTS.hourlyCron,
      nightlyCron: o['nightly-cron'] ?? BATCH_DEFAULTS.nightlyCron,
      closeMarginMs: Number(o['close-margin-ms'] ?? BATCH_DEFAULTS.closeMarginMs),
      lakeRoot: o['lake-root'] ?? '',
    };
    const runtime = new BatchRuntime(ctx.config(), settings, logger);
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
      const view = await openBatchViewStore(runtime.config, logger);
      const jobs = runtime.jobs(view);
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
        { queues, hourlyCron: settings.hourlyCron, nightlyCron: settings.nightlyCron },
        'batch layer started',
      );
      await new Promise<void>((resolve) =>
        ctx.stopSignal.addEventListener('abort', () => resolve(), { once: true }),
      );
      clearInterval(depth);
      await view.close();
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
