import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiServer } from '../../../../serving-layer/api/api-server.ts';
import { RESPONSE_SCHEMAS } from '../../../../serving-layer/api/openapi.ts';
import { CassandraReconciliationReportStore } from '../../../../serving-layer/reconciliation/cassandra-report-store.ts';
import { createServingLayer } from '../../../../serving-layer/serving-layer.ts';
import { createTestKeyspace, type TestKeyspace } from '../../../../shared/cassandra/testing.ts';
import { silentLogger } from '../../../../shared/logger/logger.ts';
import { s3OptionsFrom } from '../../../../shared/s3/options.ts';
import { S3ObjectStore } from '../../../../shared/s3/s3-object-store.ts';
import { requireCassandra, requireS3, testConfig } from '../../../helpers/services.ts';
import { schemaProblems } from '../../../unit/serving-layer/api/schema-check.ts';
import { busiestAds, expectedCount, expectedTop, HOUR, MINUTE, streamFixture } from '../stream-fixture.ts';
import { configFor, openViews, seedBatchHours, seedSpeed } from '../views.ts';

const base = testConfig();
const START = Date.UTC(2026, 2, 12, 8, 0);
const B = START + 2 * HOUR;
const f = streamFixture(START, 'api-', 31);
const ADMIN = 'it-admin-token';
const SCOPED = 'it-scoped-token';
/** The scoped advertiser owns ads api-1…, api-10…, api-100… */
const owned = (adId: string) => adId.startsWith('api-1');
let ks: TestKeyspace;
let views: Awaited<ReturnType<typeof openViews>>;
let server: ApiServer;
const s3 = new S3ObjectStore(s3OptionsFrom(base), silentLogger());

async function get(path: string, token: string | null = ADMIN) {
  const res = await fetch(`${server.url}${path}`, {
    headers: token === null ? {} : { authorization: `Bearer ${token}` },
  });
  // biome-ignore lint/suspicious/noExplicitAny: answers are checked against their schemas
  const body: any = (res.headers.get('content-type') ?? '').includes('json')
    ? await res.json()
    : await res.text();
  return { status: res.status, body };
}

beforeAll(async () => {
  await Promise.all([requireCassandra(base), requireS3(base)]);
  ks = await createTestKeyspace({ config: base, prefix: 'api' });
  const config = {
    ...configFor(base, ks.keyspace),
    ports: { ...base.ports, api: 0 },
    apiTokens: [
      { token: ADMIN, role: 'admin' as const, adPrefixes: [] },
      { token: SCOPED, role: 'scoped' as const, adPrefixes: ['api-1'] },
    ],
  };
  views = await openViews(config);
  await seedSpeed(views.speed, f.speed, []);
  await seedBatchHours(views.batch, f.all, [START, START + HOUR], 1, []);
  await views.batch.setWatermark(B);
  await s3.start();
  const reports = new CassandraReconciliationReportStore(ks.client, ks.keyspace);
  await reports.save({
    id: '2026-03-12',
    scope: 'day',
    from: START - 8 * HOUR,
    to: START + 16 * HOUR,
    status: 'match',
    speedTotal: 1,
    batchTotal: 1,
    cellsCompared: 2,
    cellsMatching: 2,
    cellsMismatching: 0,
    causes: { late_clicks: 0, batch_hour_missing: 0, unexplained: 0 },
    mismatches: [],
    fullListKey: null,
    batchHoursPublished: 24,
    generatedAt: START + 20 * HOUR,
  });
  server = createServingLayer(config, { ...views, cassandra: ks.client, objects: s3 }, silentLogger());
  await server.start();
});

afterAll(async () => {
  await server?.close();
  await views?.close();
  await s3.close();
  await ks?.drop();
});

describe('query API over the real views (contract and numbers)', () => {
  it('aggregated_count across the boundary equals the recount and matches its schema', async () => {
    const [from, to] = [B - 30 * MINUTE, B + 30 * MINUTE];
    for (const ad of busiestAds(f, 5)) {
      for (const filter of ['', '&filter=country:US']) {
        const r = await get(`/v1/ads/${ad}/aggregated_count?from=${from}&to=${to}${filter}`);
        expect(r.status).toBe(200);
        expect(schemaProblems(RESPONSE_SCHEMAS.aggregatedCount!, r.body)).toEqual([]);
        expect(r.body.count).toBe(expectedCount(f, B, ad, filter === '' ? 'all' : 'country=US', from, to));
        expect(r.body.source).toEqual({ batch_until: B, speed_from: B, batch_watermark: B });
      }
    }
  });

  it('series takes ISO times, rounds down to the minute, and sums to the count', async () => {
    const ad = busiestAds(f, 1)[0]!;
    const from = new Date(B - 10 * MINUTE + 12_345).toISOString();
    const to = new Date(B + 10 * MINUTE).toISOString();
    const r = await get(`/v1/ads/${ad}/aggregated_count/series?from=${from}&to=${to}`);
    expect(r.status).toBe(200);
    expect(schemaProblems(RESPONSE_SCHEMAS.aggregatedCountSeries!, r.body)).toEqual([]);
    expect(r.body.points).toHaveLength(20);
    const total = r.body.points.reduce((s: number, p: { count: number }) => s + p.count, 0);
    expect(total).toBe(expectedCount(f, B, ad, 'all', B - 10 * MINUTE, B + 10 * MINUTE));
  });

  it('popular_ads N=100 across the boundary is exact; a scoped token sees its own ads only', async () => {
    const end = B + 30 * MINUTE;
    const admin = await get(`/v1/ads/popular_ads?count=100&window=60&end=${end}`);
    expect(admin.status).toBe(200);
    expect(schemaProblems(RESPONSE_SCHEMAS.popularAds!, admin.body)).toEqual([]);
    const exact = expectedTop(f, B, 60, 'all', end, 100).map((a) => ({ ad_id: a.adId, count: a.count }));
    expect(admin.body.ads).toEqual(exact);
    const scoped = await get(`/v1/ads/popular_ads?count=10&window=60&end=${end}`, SCOPED);
    expect(scoped.body.ads).toEqual(
      expectedTop(f, B, 60, 'all', end, 10, owned).map((a) => ({ ad_id: a.adId, count: a.count })),
    );
    expect(scoped.body.ads.length).toBeGreaterThan(0);
  });

  it('answers 401 without a token, 403 for another advertiser’s ad and for the reconciliation', async () => {
    expect((await get(`/v1/ads/api-2/aggregated_count?from=${START}&to=${B}`, null)).status).toBe(401);
    expect((await get(`/v1/ads/api-2/aggregated_count?from=${START}&to=${B}`, 'wrong')).status).toBe(401);
    expect((await get(`/v1/ads/api-2/aggregated_count?from=${START}&to=${B}`, SCOPED)).status).toBe(403);
    expect((await get(`/v1/ads/api-12/aggregated_count?from=${START}&to=${B}`, SCOPED)).status).toBe(200);
    expect((await get('/v1/reconciliation?date=2026-03-12', SCOPED)).status).toBe(403);
  });

  it('serves the stored reconciliation report, 404 for a day without one, 400 naming bad parameters', async () => {
    const r = await get('/v1/reconciliation?date=2026-03-12');
    expect(r.status).toBe(200);
    expect(schemaProblems(RESPONSE_SCHEMAS.reconciliation!, r.body)).toEqual([]);
    expect(r.body).toMatchObject({ date: '2026-03-12', status: 'match' });
    expect((await get('/v1/reconciliation?date=2026-03-13')).status).toBe(404);
    const bad = await get('/v1/ads/popular_ads?window=7');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/window/);
  });

  it('is ready, healthy, and its pipeline page carries the batch watermark', async () => {
    expect((await get('/readyz', null)).status).toBe(200);
    expect((await get('/healthz', null)).body).toEqual({ status: 'ok' });
    const p = await get('/v1/pipeline');
    expect(p.status).toBe(200);
    expect(schemaProblems(RESPONSE_SCHEMAS.pipeline!, p.body)).toEqual([]);
    expect(p.body.batch_watermark).toBe(B);
    expect(p.body.reconciliation).toEqual([
      { date: '2026-03-12', status: 'match', mismatching: 0, unexplained: 0 },
    ]);
    expect((await get('/metrics', null)).body).toMatch(/# TYPE/);
  });
});
