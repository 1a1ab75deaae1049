import { describe, expect, it } from 'vitest';
import { RESPONSE_SCHEMAS } from '../../../../serving-layer/api/openapi.ts';
import {
  DATE_PARAMETERS,
  POPULAR_PARAMETERS,
  RANGE_PARAMETERS,
} from '../../../../serving-layer/api/params.ts';
import { schemaProblems } from './schema-check.ts';
import { m, testApp } from './test-app.ts';

/** Hono path `/v1/ads/:ad_id/x` as OpenAPI writes it. */
const openApiPath = (p: string) => p.replace(/:([a-z_]+)/g, '{$1}');

describe('/openapi.json stays true', () => {
  it('documents exactly the API routes the app serves', async () => {
    const { app, get } = testApp();
    const doc = (await get('/openapi.json')).body;
    const served = new Set(
      app.routes
        .filter(
          (r) => r.method === 'GET' && r.path !== '/*' && !r.path.startsWith('/dashboard') && r.path !== '/',
        )
        .map((r) => openApiPath(r.path)),
    );
    expect(new Set(Object.keys(doc.paths))).toEqual(served);
  });

  it('lists the query parameters each route accepts', async () => {
    const doc = (await testApp().get('/openapi.json')).body;
    const query = (path: string) =>
      doc.paths[path].get.parameters
        .filter((p: { in: string }) => p.in === 'query')
        .map((p: { name: string }) => p.name);
    expect(query('/v1/ads/{ad_id}/aggregated_count').sort()).toEqual([...RANGE_PARAMETERS].sort());
    expect(query('/v1/ads/{ad_id}/aggregated_count/series').sort()).toEqual([...RANGE_PARAMETERS].sort());
    expect(query('/v1/ads/popular_ads').sort()).toEqual([...POPULAR_PARAMETERS].sort());
    expect(query('/v1/reconciliation').sort()).toEqual([...DATE_PARAMETERS].sort());
    const window = doc.paths['/v1/ads/popular_ads'].get.parameters.find(
      (p: { name: string }) => p.name === 'window',
    );
    expect(window.schema.enum).toEqual([1, 5, 15, 60]);
    const reconciliation = doc.paths['/v1/reconciliation'].get;
    expect(reconciliation.description).toMatch(/admin token/);
    expect(reconciliation.responses['403']).toBeDefined();
  });

  it.each([
    ['aggregatedCount', `/v1/ads/acme-1/aggregated_count?from=${m(0)}&to=${m(12)}`],
    [
      'aggregatedCountSeries',
      `/v1/ads/acme-1/aggregated_count/series?from=${m(8)}&to=${m(12)}&filter=country:US`,
    ],
    ['popularAds', '/v1/ads/popular_ads?window=15'],
    ['reconciliation', '/v1/reconciliation?date=2026-01-05'],
    ['pipeline', '/v1/pipeline'],
    ['health', '/healthz'],
  ])('a real %s answer matches its documented schema', async (operation, path) => {
    const r = await testApp().get(path);
    expect(r.status).toBe(200);
    expect(schemaProblems(RESPONSE_SCHEMAS[operation]!, r.body)).toEqual([]);
  });

  it('error answers match the error schema', async () => {
    const r = await testApp().get('/v1/ads/popular_ads?count=0');
    const doc = (await testApp().get('/openapi.json')).body;
    const schema = doc.paths['/v1/ads/popular_ads'].get.responses['400'].content['application/json'].schema;
    expect(schemaProblems(schema, r.body)).toEqual([]);
  });
});
