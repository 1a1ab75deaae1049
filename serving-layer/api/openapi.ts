import type { AggregationDefinition } from '../../shared/aggregation/definition.ts';

type Schema = Record<string, unknown>;

const epochMs = { type: 'integer', description: 'epoch milliseconds, UTC' };
const nullableMs = { type: ['integer', 'null'], description: 'epoch milliseconds, or null' };
const source: Schema = {
  type: 'object',
  description:
    'Which view answered: minutes before batch_until from the batch view, from speed_from on from the speed view.',
  required: ['batch_until', 'speed_from', 'batch_watermark'],
  properties: { batch_until: nullableMs, speed_from: nullableMs, batch_watermark: nullableMs },
};
const error: Schema = {
  type: 'object',
  required: ['error'],
  properties: { error: { type: 'string' }, parameter: { type: 'string' } },
};
const filterSchema = { type: ['string', 'null'], description: '`<dimension>:<value>`, null for all clicks' };
const time = (name: string, required: boolean, description: string) => ({
  name,
  in: 'query',
  required,
  description,
  schema: { type: 'string', examples: ['1767607200000', '2026-01-05T10:00:00Z'] },
});
const filterParam = {
  name: 'filter',
  in: 'query',
  required: false,
  description: 'Dimension slice such as `country:US`; omitted means all clicks.',
  schema: { type: 'string' },
};
const adIdParam = {
  name: 'ad_id',
  in: 'path',
  required: true,
  schema: { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,64}$' },
};
const json = (schema: Schema, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});
const errors = {
  '400': json(error, 'A bad parameter; `parameter` names it'),
  '401': json(error, 'Missing or unknown bearer token'),
  '403': json(error, 'The token does not give access to this'),
  '503': json(error, 'A backing store is unavailable'),
};
const text = (description: string) => ({
  description,
  content: { 'text/plain': { schema: { type: 'string' } } },
});

const mismatch: Schema = {
  type: 'object',
  required: ['ad_id', 'slice', 'minute', 'speed', 'batch', 'cause'],
  properties: {
    ad_id: { type: 'string' },
    slice: { type: 'string' },
    minute: epochMs,
    speed: { type: 'integer' },
    batch: { type: 'integer' },
    raw: { type: 'integer' },
    late: { type: 'integer' },
    cause: { type: 'string', enum: ['late_clicks', 'batch_hour_missing', 'unexplained'] },
  },
};

/** Response schemas by operation, exported so the contract test can check real answers against them. */
export const RESPONSE_SCHEMAS: Record<string, Schema> = {
  aggregatedCount: {
    type: 'object',
    required: ['ad_id', 'from', 'to', 'filter', 'count', 'source'],
    properties: {
      ad_id: { type: 'string' },
      from: epochMs,
      to: epochMs,
      filter: filterSchema,
      count: { type: 'integer' },
      source,
    },
  },
  aggregatedCountSeries: {
    type: 'object',
    required: ['ad_id', 'from', 'to', 'filter', 'points', 'source'],
    properties: {
      ad_id: { type: 'string' },
      from: epochMs,
      to: epochMs,
      filter: filterSchema,
      points: {
        type: 'array',
        items: {
          type: 'object',
          required: ['minute', 'count'],
          properties: { minute: epochMs, count: { type: 'integer' } },
        },
      },
      source,
    },
  },
  popularAds: {
    type: 'object',
    required: ['window_minutes', 'end', 'filter', 'ads', 'source'],
    properties: {
      window_minutes: { type: 'integer' },
      end: epochMs,
      filter: filterSchema,
      ads: {
        type: 'array',
        items: {
          type: 'object',
          required: ['ad_id', 'count'],
          properties: { ad_id: { type: 'string' }, count: { type: 'integer' } },
        },
      },
      source,
    },
  },
  reconciliation: {
    type: 'object',
    required: [
      'date',
      'status',
      'speed_total',
      'batch_total',
      'cells',
      'causes',
      'mismatches',
      'full_list',
      'generated_at',
    ],
    properties: {
      date: { type: 'string', description: 'YYYY-MM-DD' },
      scope: { type: 'string', enum: ['day', 'hour'] },
      from: epochMs,
      to: epochMs,
      status: { type: 'string', enum: ['match', 'mismatch'] },
      speed_total: { type: 'integer' },
      batch_total: { type: 'integer' },
      cells: {
        type: 'object',
        required: ['compared', 'matching', 'mismatching'],
        properties: {
          compared: { type: 'integer' },
          matching: { type: 'integer' },
          mismatching: { type: 'integer' },
        },
      },
      causes: { type: 'object' },
      batch_hours_published: { type: 'integer' },
      mismatches: { type: 'array', items: mismatch },
      full_list: {
        type: ['string', 'null'],
        description: 'object key of the full mismatch list (JSON lines)',
      },
      generated_at: epochMs,
    },
  },
  pipeline: {
    type: 'object',
    required: ['batch_watermark', 'metrics', 'reconciliation'],
    properties: {
      batch_watermark: nullableMs,
      metrics: {
        type: 'object',
        description: 'figures read from the other layers’ /metrics (absent when unreachable)',
      },
      metrics_sources: {
        type: 'array',
        items: { type: 'string' },
        description: 'metrics endpoints that answered',
      },
      reconciliation: { type: 'array', items: { type: 'object' } },
    },
  },
  health: { type: 'object', required: ['status'], properties: { status: { type: 'string' } } },
};

/** The OpenAPI 3.1 document of the query API, served at `/openapi.json`. */
export function openApiDocument(definition: AggregationDefinition): Schema {
  const op = (operationId: string, summary: string, parameters: unknown[], extra: Schema = {}) => ({
    operationId,
    summary,
    parameters,
    responses: { '200': json(RESPONSE_SCHEMAS[operationId]!, 'OK'), ...errors },
    ...extra,
  });
  return {
    openapi: '3.1.0',
    info: {
      title: 'adclick query API',
      version: '1',
      description:
        'Ad click counts and top ads merged from the batch view (minutes before the batch watermark) and the speed view (later minutes). Ranges are half-open [from, to) and rounded down to the minute.',
    },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    security: [{ bearer: [] }],
    paths: {
      '/v1/ads/{ad_id}/aggregated_count': {
        get: op('aggregatedCount', 'Clicks of one ad over [from, to)', [
          adIdParam,
          time('from', true, 'Range start, rounded down to the minute'),
          time(
            'to',
            true,
            'Range end (exclusive), rounded down; at least one minute and at most 31 days after from',
          ),
          filterParam,
        ]),
      },
      '/v1/ads/{ad_id}/aggregated_count/series': {
        get: op('aggregatedCountSeries', 'Per-minute clicks of one ad over [from, to)', [
          adIdParam,
          time('from', true, 'Range start, rounded down to the minute'),
          time(
            'to',
            true,
            'Range end (exclusive), rounded down; at least one minute and at most 31 days after from',
          ),
          filterParam,
        ]),
      },
      '/v1/ads/popular_ads': {
        get: op(
          'popularAds',
          'The most clicked ads over the window ending at end (a scoped token sees its own ads only)',
          [
            {
              name: 'count',
              in: 'query',
              required: false,
              schema: { type: 'integer', minimum: 1, maximum: definition.topN, default: 10 },
            },
            {
              name: 'window',
              in: 'query',
              required: false,
              schema: {
                type: 'integer',
                enum: definition.windowsMinutes,
                default: definition.windowsMinutes[0],
              },
            },
            filterParam,
            time('end', false, 'Window end (exclusive), rounded down; default the end of the current minute'),
          ],
        ),
      },
      '/v1/reconciliation': {
        get: op(
          'reconciliation',
          'The reconciliation report of a day (admin token)',
          [{ name: 'date', in: 'query', required: true, schema: { type: 'string', format: 'date' } }],
          {
            description:
              'Needs an admin token when API_TOKENS is set: the report covers every advertiser, so a token scoped to some ad prefixes gets 403. Open (no tokens configured) on the local default.',
            responses: {
              '200': json(RESPONSE_SCHEMAS.reconciliation!, 'OK'),
              '404': json(error, 'No report for that day'),
              ...errors,
            },
          },
        ),
      },
      '/v1/pipeline': {
        get: op(
          'pipeline',
          'Pipeline health for the dashboard: batch watermark, lag, late and DLQ figures, recent reconciliations',
          [],
        ),
      },
      '/healthz': {
        get: {
          operationId: 'healthz',
          security: [],
          summary: 'Liveness',
          responses: { '200': json(RESPONSE_SCHEMAS.health!, 'alive') },
        },
      },
      '/readyz': {
        get: {
          operationId: 'readyz',
          security: [],
          summary: 'Readiness: both views answer',
          responses: {
            '200': json(RESPONSE_SCHEMAS.health!, 'ready'),
            '503': json(RESPONSE_SCHEMAS.health!, 'not ready'),
          },
        },
      },
      '/metrics': {
        get: {
          operationId: 'metrics',
          security: [],
          summary: 'Prometheus metrics',
          responses: { '200': text('Prometheus text format') },
        },
      },
      '/openapi.json': {
        get: {
          operationId: 'openapi',
          security: [],
          summary: 'This document',
          responses: { '200': json({ type: 'object' }, 'OpenAPI 3.1') },
        },
      },
    },
  };
}
