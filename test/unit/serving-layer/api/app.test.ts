import { describe, expect, it } from 'vitest';
import { AdclickError, ErrorCodes } from '../../../../shared/errors/errors.ts';
import { ACME, ADMIN, m, TOKENS, testApp } from './test-app.ts';

describe('GET /v1/ads/{ad_id}/aggregated_count', () => {
  it('merges both views and says where the answer came from', async () => {
    const { get } = testApp();
    const r = await get(`/v1/ads/acme-1/aggregated_count?from=${m(8)}&to=${m(12) + 30_000}`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      ad_id: 'acme-1',
      from: m(8),
      to: m(12),
      filter: null,
      count: 2 + 2 + 4 + 4,
      source: { batch_until: m(10), speed_from: m(10), batch_watermark: m(10) },
    });
  });

  it('applies the filter and counts an unknown ad as 0', async () => {
    const { get } = testApp();
    expect(
      (await get(`/v1/ads/acme-1/aggregated_count?from=${m(0)}&to=${m(10)}&filter=country:us`)).body,
    ).toMatchObject({
      count: 10,
      filter: 'country:US',
    });
    expect((await get(`/v1/ads/nobody/aggregated_count?from=${m(0)}&to=${m(15)}`)).body.count).toBe(0);
  });

  it.each([
    ['/v1/ads/acme-1/aggregated_count?to=0', 'from'],
    ['/v1/ads/acme-1/aggregated_count?from=0', 'to'],
    ['/v1/ads/acme-1/aggregated_count?from=x&to=0', 'from'],
    ['/v1/ads/acme-1/aggregated_count?from=120000&to=0', 'to'],
    ['/v1/ads/acme-1/aggregated_count?from=0&to=60000&filter=os:ios', 'filter'],
    ['/v1/ads/acme-1/aggregated_count?from=0&to=60000&extra=1', 'extra'],
    ['/v1/ads/bad%20id/aggregated_count?from=0&to=60000', 'ad_id'],
    ['/v1/ads/acme-1/aggregated_count/series?from=0', 'to'],
    ['/v1/ads/popular_ads?count=0', 'count'],
    ['/v1/ads/popular_ads?count=101', 'count'],
    ['/v1/ads/popular_ads?window=7', 'window'],
    ['/v1/ads/popular_ads?end=later', 'end'],
    ['/v1/reconciliation', 'date'],
    ['/v1/reconciliation?date=2026-1-5', 'date'],
    ['/v1/pipeline?x=1', 'x'],
    // Every other kind of bad A3 parameter: empty, ISO without a zone, a date that does not exist,
    // an empty or reversed range after rounding, a range over 31 days, malformed filters, counts
    // and windows that are not whole numbers.
    ['/v1/ads/acme-1/aggregated_count?from=&to=60000', 'from'],
    ['/v1/ads/acme-1/aggregated_count?from=2026-01-05T10:00&to=2026-01-05T11:00Z', 'from'],
    ['/v1/ads/acme-1/aggregated_count?from=2026-01-05T10:00Z&to=2026-01-05 11:00', 'to'],
    ['/v1/ads/acme-1/aggregated_count?from=2026-02-30T00:00:00Z&to=2026-03-05T00:00:00Z', 'from'],
    ['/v1/ads/acme-1/aggregated_count?from=2026-01-05T10:00:10Z&to=2026-01-05T10:00:50Z', 'to'],
    ['/v1/ads/acme-1/aggregated_count?from=60000&to=60000', 'to'],
    ['/v1/ads/acme-1/aggregated_count?from=0&to=2678460000', 'to'],
    ['/v1/ads/acme-1/aggregated_count/series?from=0&to=2678460000', 'to'],
    ['/v1/ads/acme-1/aggregated_count/series?from=120000&to=60000', 'to'],
    ['/v1/ads/acme-1/aggregated_count?from=0&to=60000&filter=country', 'filter'],
    ['/v1/ads/acme-1/aggregated_count?from=0&to=60000&filter=country:', 'filter'],
    ['/v1/ads/acme-1/aggregated_count?from=0&to=60000&filter=Country:US', 'filter'],
    ['/v1/ads/acme-1/aggregated_count?from=0&to=60000&filter=country:U1', 'filter'],
    ['/v1/ads/acme-1/aggregated_count/series?from=0&to=60000&filter=os:ios', 'filter'],
    [`/v1/ads/${'a'.repeat(65)}/aggregated_count?from=0&to=60000`, 'ad_id'],
    ['/v1/ads/popular_ads?count=', 'count'],
    ['/v1/ads/popular_ads?count=1.5', 'count'],
    ['/v1/ads/popular_ads?count=-1', 'count'],
    ['/v1/ads/popular_ads?count=1e2', 'count'],
    ['/v1/ads/popular_ads?count=ten', 'count'],
    ['/v1/ads/popular_ads?count=5&count=6', 'count'],
    ['/v1/ads/popular_ads?window=', 'window'],
    ['/v1/ads/popular_ads?window=2', 'window'],
    ['/v1/ads/popular_ads?window=1.0', 'window'],
    ['/v1/ads/popular_ads?window=sixty', 'window'],
    ['/v1/ads/popular_ads?end=', 'end'],
    ['/v1/ads/popular_ads?end=2026-01-05T10:00', 'end'],
    ['/v1/ads/popular_ads?end=2026-04-31T10:00:00Z', 'end'],
    ['/v1/ads/popular_ads?filter=planet:mars', 'filter'],
    ['/v1/ads/popular_ads?filter=country:USA', 'filter'],
    ['/v1/ads/popular_ads?top=5', 'top'],
    ['/v1/reconciliation?date=2026-02-30', 'date'],
    ['/v1/reconciliation?date=2026-01-05T00:00:00Z', 'date'],
  ])('%s → 400 naming %s', async (path, parameter) => {
    const r = await get400(path);
    expect(r.status).toBe(400);
    expect(r.body.parameter).toBe(parameter);
    expect(r.body.error).toContain(parameter === 'extra' || parameter === 'x' ? `"${parameter}"` : parameter);
  });
  const get400 = (path: string) => testApp().get(path);
});

describe('GET /v1/ads/{ad_id}/aggregated_count/series', () => {
  it('gives one point per minute across the boundary', async () => {
    const { get } = testApp();
    const r = await get(`/v1/ads/acme-1/aggregated_count/series?from=${m(9)}&to=${m(11)}`);
    expect(r.body.points).toEqual([
      { minute: m(9), count: 2 },
      { minute: m(10), count: 4 },
    ]);
  });
});

describe('GET /v1/ads/popular_ads', () => {
  it('ranks over the window ending at the current minute by default', async () => {
    const { get } = testApp();
    const r = await get('/v1/ads/popular_ads?window=5&count=1');
    expect(r.body).toMatchObject({
      window_minutes: 5,
      end: m(15),
      filter: null,
      ads: [{ ad_id: 'acme-1', count: 20 }],
    });
    expect(r.body.source).toEqual({ batch_until: null, speed_from: m(10), batch_watermark: m(10) });
  });

  it('is exact across the boundary and lists the allowed windows on a bad one', async () => {
    const { get } = testApp();
    const r = await get(`/v1/ads/popular_ads?window=15&end=${m(12)}`);
    expect(r.body.ads).toEqual([
      { ad_id: 'other-1', count: 3 * 10 + 2 },
      { ad_id: 'acme-1', count: 2 * 10 + 8 },
    ]);
    expect((await get('/v1/ads/popular_ads?window=2')).body.error).toContain('1, 5, 15, 60');
  });
});

describe('access (A8)', () => {
  it('401 without or with an unknown token, and health stays open', async () => {
    const { get } = testApp(TOKENS);
    expect((await get(`/v1/ads/acme-1/aggregated_count?from=0&to=60000`)).status).toBe(401);
    expect((await get(`/v1/ads/acme-1/aggregated_count?from=0&to=60000`, 'wrong-token-1')).status).toBe(401);
    expect((await get('/healthz')).status).toBe(200);
    expect((await get('/openapi.json')).status).toBe(200);
  });

  it('a scoped token sees its own ads only, and ranks only them', async () => {
    const { get } = testApp(TOKENS);
    expect((await get(`/v1/ads/acme-1/aggregated_count?from=0&to=60000`, ACME)).status).toBe(200);
    expect((await get(`/v1/ads/other-1/aggregated_count?from=0&to=60000`, ACME)).status).toBe(403);
    const top = await get(`/v1/ads/popular_ads?window=15&end=${m(12)}`, ACME);
    expect(top.body.ads).toEqual([{ ad_id: 'acme-1', count: 28 }]);
    expect((await get('/v1/reconciliation?date=2026-01-05', ACME)).status).toBe(403);
    expect((await get('/v1/reconciliation?date=2026-01-05', ADMIN)).status).toBe(200);
    expect((await get(`/v1/ads/other-1/aggregated_count?from=0&to=60000`, ADMIN)).status).toBe(200);
  });

  it('never writes a token to the log, even when a request fails', async () => {
    const failing = testApp(TOKENS);
    failing.batch.minuteCounts = async () => {
      throw new AdclickError(ErrorCodes.UNAVAILABLE, 'cassandra down', { retryable: true });
    };
    const r = await failing.get(`/v1/ads/acme-1/aggregated_count?from=${m(0)}&to=${m(5)}`, ADMIN);
    expect(r.status).toBe(503);
    expect(r.body.error).not.toContain('cassandra');
    await failing.get('/v1/ads/acme-1/aggregated_count?from=0&to=60000', 'leaky-token-999');
    expect(failing.log()).toContain('request failed');
    expect(failing.log()).not.toContain(ADMIN);
    expect(failing.log()).not.toContain('leaky-token-999');
  });
});

describe('reconciliation, pipeline, health and metrics', () => {
  it('serves a stored report and 404 for a day without one', async () => {
    const { get } = testApp();
    const r = await get('/v1/reconciliation?date=2026-01-05');
    expect(r.body).toMatchObject({
      date: '2026-01-05',
      status: 'mismatch',
      cells: { compared: 4, matching: 3, mismatching: 1 },
    });
    expect(r.body.mismatches[0]).toMatchObject({ ad_id: 'acme-1', cause: 'late_clicks' });
    expect((await get('/v1/reconciliation?date=2026-01-04')).status).toBe(404);
  });

  it('pipeline gives the watermark and recent reconciliations', async () => {
    const { get } = testApp([], {
      pipeline: async () => ({ metrics: { adclick_speed_late_clicks_total: 3 }, reachable: ['x'] }),
    });
    const r = await get('/v1/pipeline');
    expect(r.body).toMatchObject({
      batch_watermark: m(10),
      metrics: { adclick_speed_late_clicks_total: 3 },
      reconciliation: [{ date: '2026-01-05', status: 'mismatch', mismatching: 1, unexplained: 0 }],
    });
  });

  it('readyz follows the views, metrics are Prometheus text', async () => {
    expect((await testApp([], { ready: async () => false }).get('/readyz')).status).toBe(503);
    const { get } = testApp();
    expect((await get('/readyz')).status).toBe(200);
    await get('/v1/ads/popular_ads');
    const metrics = await get('/metrics');
    expect(metrics.body).toContain('adclick_api_request_seconds_bucket');
    expect(metrics.body).toContain('route="/v1/ads/popular_ads"');
    expect((await get('/nope')).status).toBe(404);
  });
});
