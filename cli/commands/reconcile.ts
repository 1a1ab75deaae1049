import { reportJson } from '../../serving-layer/api/app.ts';
import { formatReport } from '../../serving-layer/reconciliation/format-report.ts';
import { reconcileDay, reconcileHour } from '../../serving-layer/reconciliation/reconcile.ts';
import { reconcileDepsFrom } from '../../serving-layer/serving-layer.ts';
import { openServingStores } from '../../serving-layer/serving-stores.ts';
import { parseTime } from '../../shared/aggregation/time.ts';
import { AdclickError, ErrorCodes } from '../../shared/errors/errors.ts';
import { intOption, parseOptions } from '../args.ts';
import type { CliCommand } from '../types.ts';

export const command: CliCommand = {
  name: 'reconcile',
  summary: 'Compare the speed and batch views for a day or an hour, store and print the report',
  help: `Usage: adclick reconcile --date YYYY-MM-DD [options]
       adclick reconcile --hour T [options]

Compares every (ad_id, minute, slice) cell of the speed view with the batch view over one UTC day
(--date) or one hour (--hour, any time inside it: epoch ms or ISO-8601). Mismatching cells get a
cause: late_clicks (the raw lake shows the speed layer received exactly the missing clicks after
their minute closed — by design, the batch view is right), batch_hour_missing (the batch layer
has not published that hour), or unexplained. The report is stored in Cassandra (served by
GET /v1/reconciliation?date=…), the full mismatch list goes to the object store under
reports/reconciliation/, and the report is printed.

Options:
  --date D       the UTC day to reconcile (YYYY-MM-DD)
  --hour T       the hour to reconcile instead (report id YYYY-MM-DDTHH)
  --json         print the report as JSON (the API's shape) instead of text
  --show N       mismatching cells printed in text mode (default 20)
  --no-lake      do not read the raw lake for causes (faster; late clicks show as unexplained)
  -h, --help     this text

Exit status: 0 when the views match, 1 on a mismatch, 2 on bad options.

Examples:
  adclick reconcile --date 2026-01-05
  adclick reconcile --hour 2026-01-05T10:00Z --json`,
  async run(ctx) {
    const o = parseOptions('reconcile', ctx.argv, {
      date: { type: 'string' },
      hour: { type: 'string' },
      json: { type: 'boolean' },
      show: { type: 'string' },
      'no-lake': { type: 'boolean' },
    });
    if ((o.date === undefined) === (o.hour === undefined)) {
      console.error(
        'adclick reconcile: give exactly one of --date or --hour. See `adclick reconcile --help`.',
      );
      return 2;
    }
    const show = intOption('reconcile', 'show', o.show, 20);
    const hour = o.hour === undefined ? undefined : parseTime(o.hour, '--hour');
    const config = ctx.config();
    const logger = ctx.logger();
    const stores = await openServingStores(config, logger);
    try {
      const deps = reconcileDepsFrom(config, stores, logger);
      if (o['no-lake']) delete deps.lake;
      if (process.stderr.isTTY)
        process.stderr.write(`reconciling ${o.date ?? new Date(hour!).toISOString().slice(0, 13)}…\n`);
      const report = hour === undefined ? await reconcileDay(deps, o.date!) : await reconcileHour(deps, hour);
      console.log(o.json ? JSON.stringify(reportJson(report), null, 2) : formatReport(report, show));
      return report.status === 'match' ? 0 : 1;
    } catch (error) {
      if (error instanceof AdclickError && error.code === ErrorCodes.INVALID_INPUT) {
        console.error(`adclick reconcile: ${error.message}`);
        return 2;
      }
      throw error;
    } finally {
      await stores.close();
    }
  },
};
