import { hoursIn } from '../../batch-layer/lake/lake-layout.ts';
import type { HourRecomputeResult } from '../../batch-layer/recompute/hour-recomputer.ts';
import { BatchRuntime, batchSettingsFrom } from '../../batch-layer/runtime.ts';
import { openBatchViewStore } from '../../batch-layer/view-store.ts';
import { parseTime } from '../../shared/aggregation/time.ts';
import { waitFor } from '../../shared/async/wait-for.ts';
import { AdclickError, ErrorCodes } from '../../shared/errors/errors.ts';
import { parseOptions } from '../args.ts';
import type { CliCommand } from '../types.ts';

export const command: CliCommand = {
  name: 'replay',
  summary: 'Recompute a time range of the batch view from the raw lake (returns when done)',
  help: `Usage: adclick replay --from <time> --to <time> [options]

Recomputes every hour overlapping [from, to) from the raw Parquet lake through the replay queue
(its own queue and workers, so the real-time path is not slowed), shows progress on stderr
(hours done / total, clicks/s) and prints a summary. Safe to run twice: a replay rewrites the
same hours with the same numbers. Times are epoch milliseconds or ISO-8601 (SPEC A3).

Options:
  --from <time>          start (rounded down to the hour)
  --to <time>            end, exclusive
  --remote               only enqueue and wait; let running \`adclick batch\` workers do the work
                         (default: this process also runs a replay worker)
  --lake-root <prefix/>  key prefix inside the bucket (default none)
  --timeout-ms <ms>      give up waiting after this long (default 3600000)
  -h, --help             this text

Example: adclick replay --from 2026-01-31T00:00:00Z --to 2026-02-01T00:00:00Z`,
  async run(ctx) {
    const o = parseOptions('replay', ctx.argv, {
      from: { type: 'string' },
      to: { type: 'string' },
      remote: { type: 'boolean' },
      'lake-root': { type: 'string' },
      'timeout-ms': { type: 'string' },
    });
    if (o.from === undefined || o.to === undefined)
      throw new AdclickError(
        ErrorCodes.INVALID_INPUT,
        '--from and --to are required. See `adclick replay --help`.',
      );
    const from = parseTime(o.from, '--from');
    const to = parseTime(o.to, '--to');
    if (to <= from) throw new AdclickError(ErrorCodes.INVALID_INPUT, '--to must be after --from');
    const hours = hoursIn(from, to);
    const logger = ctx.logger();
    const config = ctx.config();
    const runtime = new BatchRuntime(config, batchSettingsFrom(config, { lakeRoot: o['lake-root'] }), logger);
    const started = Date.now();
    try {
      await runtime.start();
      const view = o.remote ? undefined : await openBatchViewStore(runtime.config, logger);
      if (view !== undefined) {
        const jobs = runtime.jobs(view);
        runtime.queues.startWorkers(
          {
            scan: () => jobs.scan(),
            recompute: (hour) => jobs.recompute(hour),
            day: (d, at) => jobs.day(d.date, at),
          },
          { queues: ['replay'] },
        );
      }
      const ids = await runtime.queues.enqueueReplay(hours, String(started));
      let last = { done: 0, failed: 0, clicks: 0 };
      await waitFor(
        async () => {
          const states = await runtime.queues.jobStates('replay', ids);
          const done = states.filter((s) => s.state === 'completed');
          const failed = states.filter((s) => s.state === 'failed');
          const clicks = done.reduce(
            (sum, s) => sum + ((s.result as HourRecomputeResult | undefined)?.clicks ?? 0),
            0,
          );
          last = { done: done.length, failed: failed.length, clicks };
          const seconds = (Date.now() - started) / 1000;
          process.stderr.write(
            `\r${bar(done.length + failed.length, ids.length)} hours ${done.length + failed.length}/${ids.length}` +
              `  ${Math.round(clicks / Math.max(seconds, 0.001))} clicks/s${failed.length > 0 ? `  failed ${failed.length}` : ''}   `,
          );
          return done.length + failed.length === ids.length;
        },
        {
          timeoutMs: Number(o['timeout-ms'] ?? 3_600_000),
          intervalMs: 500,
          description: 'replay jobs',
          signal: ctx.stopSignal,
        },
      );
      process.stderr.write('\n');
      const seconds = (Date.now() - started) / 1000;
      console.log(
        `replayed ${last.done}/${ids.length} hours from ${new Date(hours[0]!).toISOString()} to ${new Date(hours[hours.length - 1]! + 3_600_000).toISOString()}: ` +
          `${last.clicks} clicks in ${seconds.toFixed(1)} s${last.failed > 0 ? `, ${last.failed} failed (see adclick batch status)` : ''}`,
      );
      await view?.close();
      return last.failed > 0 ? 1 : 0;
    } finally {
      await runtime.close();
    }
  },
};

function bar(done: number, total: number, width = 24): string {
  const filled = total === 0 ? width : Math.round((done / total) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}
