import { Hono } from 'hono';
import type { AggregationDefinition } from '../../shared/aggregation/definition.ts';
import { AdclickError, ErrorCodes, toAdclickError } from '../../shared/errors/errors.ts';
import type { Logger } from '../../shared/logger/logger.ts';
import { type AccessControl, assertCanSee, assertSeesAll, canSee, type Principal } from '../access/access.ts';
import type { DashboardAssets } from '../dashboard/assets.ts';
import type { MergedView } from '../merge/merged-view.ts';
import type { ReconciliationReport, ReconciliationReportStore } from '../reconciliation/types.ts';
import type { ApiMetrics } from './api-metrics.ts';
import { errorBody, statusOf } from './http-errors.ts';
import { openApiDocument } from './openapi.ts';
import { parseAdId, parseDateQuery, parsePopularQuery, parseRangeQuery } from './params.ts';
import type { PipelineHealth } from './pipeline-health.ts';

/** What the query API reads from. */
export interface ApiDeps {
  merged: MergedView;
  access: AccessControl;
  definition: AggregationDefinition;
  reports: ReconciliationReportStore;
  metrics: ApiMetrics;
  logger: Logger;
  /** True when both views answer (`/readyz`). */
  ready: () => Promise<boolean>;
  pipeline?: PipelineHealth;
  dashboard?: DashboardAssets;
  now?: () => number;
}

type Env = { Variables: { principal: Principal } };

/** Builds the query API and dashboard routes (SPEC A3, A8) as a Hono app. */
export function createApiApp(deps: ApiDeps): Hono<Env> {
  const app = new Hono<Env>();
  const now = deps.now ?? Date.now;
  const document = openApiDocument(deps.definition);

  app.use('*', async (c, next) => {
    const started = performance.now();
    await next();
    const route = c.req.routePath;
    deps.metrics.requestSeconds.observe(
      { route, status: String(c.res.status) },
      (performance.now() - started) / 1000,
    );
  });

  app.onError((err, c) => {
    const error = toAdclickError(err);
    const status = statusOf(error.code);
    // Logged without the request's headers, so a bearer token never reaches the log.
    if (status >= 500)
      deps.logger.error({ code: error.code, path: c.req.path, error: error.message }, 'request failed');
    return c.json(errorBody(error), status as 400);
  });
  app.notFound((c) => c.json({ error: `no route ${c.req.method} ${c.req.path}` }, 404));

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const ready = await deps.ready().catch(() => false);
    return c.json({ status: ready ? 'ready' : 'not ready' }, ready ? 200 : 503);
  });
  app.get('/metrics', async (c) =>
    c.body(await deps.metrics.registry.metrics(), 200, { 'content-type': deps.metrics.registry.contentType }),
  );
  app.get('/openapi.json', (c) => c.json(document));

  app.use('/v1/*', async (c, next) => {
    c.set('principal', deps.access.authenticate(c.req.header('authorization')));
    await next();
  });

  app.get('/v1/ads/popular_ads', async (c) => {
    const q = parsePopularQuery(c.req.queries(), deps.definition, now());
    const principal = c.get('principal');
    const filter = principal.kind === 'scoped' ? (adId: string) => canSee(principal, adId) : undefined;
    const answer = await deps.merged.popular(q.slice, q.windowMinutes, q.end, q.count, filter);
    deps.metrics.popularMethod.inc({ method: answer.method });
    return c.json({
      window_minutes: q.windowMinutes,
      end: q.end,
      filter: q.filter,
      ads: answer.ads.map((a) => ({ ad_id: a.adId, count: a.count })),
      source: answer.source,
    });
  });

  app.get('/v1/ads/:ad_id/aggregated_count', async (c) => {
    const adId = parseAdId(c.req.param('ad_id'));
    const q = parseRangeQuery(c.req.queries(), deps.definition);
    assertCanSee(c.get('principal'), adId);
    const { count, source } = await deps.merged.count(adId, q.slice, q.from, q.to);
    return c.json({ ad_id: adId, from: q.from, to: q.to, filter: q.filter, count, source });
  });

  app.get('/v1/ads/:ad_id/aggregated_count/series', async (c) => {
    const adId = parseAdId(c.req.param('ad_id'));
    const q = parseRangeQuery(c.req.queries(), deps.definition);
    assertCanSee(c.get('principal'), adId);
    const { points, source } = await deps.merged.series(adId, q.slice, q.from, q.to);
    return c.json({ ad_id: adId, from: q.from, to: q.to, filter: q.filter, points, source });
  });

  app.get('/v1/reconciliation', async (c) => {
    const { date } = parseDateQuery(c.req.queries());
    assertSeesAll(c.get('principal'), 'the reconciliation report');
    const report = await deps.reports.get(date);
    if (report === undefined)
      throw new AdclickError(ErrorCodes.NOT_FOUND, `no reconciliation report for ${date}`);
    return c.json(reportJson(report));
  });

  app.get('/v1/pipeline', async (c) => {
    if (Object.keys(c.req.queries()).length > 0) {
      const parameter = Object.keys(c.req.queries())[0]!;
      throw new AdclickError(
        ErrorCodes.INVALID_INPUT,
        `unknown parameter "${parameter.slice(0, 40)}"; /v1/pipeline takes none`,
        {
          details: { parameter },
        },
      );
    }
    const principal = c.get('principal');
    const [boundary, figures, recent] = await Promise.all([
      deps.merged.boundary(),
      deps.pipeline?.() ?? Promise.resolve({ metrics: {}, reachable: [] }),
      principal.kind === 'scoped' ? Promise.resolve([]) : deps.reports.recentDays(7),
    ]);
    return c.json({
      batch_watermark: boundary ?? null,
      metrics: figures.metrics,
      metrics_sources: figures.reachable,
      reconciliation: recent.map((r) => ({
        date: r.id,
        status: r.status,
        mismatching: r.cellsMismatching,
        unexplained: r.causes.unexplained,
      })),
    });
  });

  if (deps.dashboard !== undefined) {
    const assets = deps.dashboard;
    app.get('/', (c) => c.html(assets.index));
    app.get('/dashboard/:file', (c) => {
      const asset = assets.files.get(c.req.param('file'));
      if (asset === undefined) return c.json({ error: 'not found' }, 404);
      return c.body(asset.body, 200, { 'content-type': asset.type, 'cache-control': 'max-age=300' });
    });
  }
  return app;
}

/** The report as the API answers it (snake_case, A5 fields). */
export function reportJson(r: ReconciliationReport) {
  return {
    date: r.id,
    scope: r.scope,
    from: r.from,
    to: r.to,
    status: r.status,
    speed_total: r.speedTotal,
    batch_total: r.batchTotal,
    cells: { compared: r.cellsCompared, matching: r.cellsMatching, mismatching: r.cellsMismatching },
    causes: r.causes,
    batch_hours_published: r.batchHoursPublished,
    mismatches: r.mismatches.map((m) => ({
      ad_id: m.adId,
      slice: m.slice,
      minute: m.minute,
      speed: m.speed,
      batch: m.batch,
      ...(m.raw === undefined ? {} : { raw: m.raw }),
      ...(m.late === undefined ? {} : { late: m.late }),
      cause: m.cause,
    })),
    full_list: r.fullListKey,
    generated_at: r.generatedAt,
  };
}
