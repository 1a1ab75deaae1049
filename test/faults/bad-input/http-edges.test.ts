/**
 * Bad HTTP input against the running collector and query API (`adclick collector`, `adclick serve`
 * processes on real Kafka and Cassandra): bad query parameters on every API endpoint are a 400
 * naming the parameter, never a 5xx; oversized bodies 413, unreadable ones 400, other content
 * types 415; clients that stall mid-request do not stop either server from serving everyone else.
 */
import type { Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VALID_EVENT_JSON } from '../../fixtures/malformed-events.ts';
import { type Pipeline, startPipeline } from '../../helpers/pipeline.ts';
import { readUntilClosed, stalledHeaders, stalledPost, statusOf } from './raw-http.ts';

let p: Pipeline;
const sockets: Socket[] = [];

beforeAll(async () => {
  p = await startPipeline('badhttp', ['collector', 'api']);
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await p?.cleanup();
});

const FROM = '2026-01-01T00:00:00Z';
const TO = '2026-01-01T01:00:00Z';
const COUNT = '/v1/ads/ad-1/aggregated_count';
const SERIES = '/v1/ads/ad-1/aggregated_count/series';
const POPULAR = '/v1/ads/popular_ads';

/** Path → the parameter its 400 must name. */
const BAD_PARAMETERS: Array<[string, string]> = [
  [COUNT, 'from'],
  [`${COUNT}?from=${FROM}`, 'to'],
  [`${COUNT}?from=yesterday&to=${TO}`, 'from'],
  [`${COUNT}?from=${FROM}&to=1e400`, 'to'],
  [`${COUNT}?from=99999999999999999999&to=${TO}`, 'from'],
  [`${COUNT}?from=2026-13-45T00:00:00Z&to=${TO}`, 'from'],
  [`${COUNT}?from=${TO}&to=${FROM}`, 'to'],
  [`${COUNT}?from=0&to=${TO}`, 'to'],
  [`${COUNT}?from=${FROM}&to=${TO}&filter=planet:mars`, 'filter'],
  [`${COUNT}?from=${FROM}&to=${TO}&filter=country:USA`, 'filter'],
  [`${COUNT}?from=${FROM}&to=${TO}&fliter=country:US`, 'fliter'],
  [`${COUNT}?from=${FROM}&from=${FROM}&to=${TO}`, 'from'],
  [`/v1/ads/ad%20x/aggregated_count?from=${FROM}&to=${TO}`, 'ad_id'],
  [`/v1/ads/${'a'.repeat(65)}/aggregated_count?from=${FROM}&to=${TO}`, 'ad_id'],
  [`/v1/ads/%E5%BA%83/aggregated_count?from=${FROM}&to=${TO}`, 'ad_id'],
  [SERIES, 'from'],
  [`${SERIES}?from=${FROM}&to=soon`, 'to'],
  [`${SERIES}?from=${FROM}&to=${TO}&filter=country`, 'filter'],
  [`/v1/ads/a%2Fb/aggregated_count/series?from=${FROM}&to=${TO}`, 'ad_id'],
  [`${POPULAR}?count=0`, 'count'],
  [`${POPULAR}?count=101`, 'count'],
  [`${POPULAR}?count=1.5`, 'count'],
  [`${POPULAR}?count=-3`, 'count'],
  [`${POPULAR}?count=ten`, 'count'],
  [`${POPULAR}?window=7`, 'window'],
  [`${POPULAR}?window=`, 'window'],
  [`${POPULAR}?window=0x3c`, 'window'],
  [`${POPULAR}?end=later`, 'end'],
  [`${POPULAR}?filter=country:`, 'filter'],
  [`${POPULAR}?top=5`, 'top'],
  ['/v1/reconciliation', 'date'],
  ['/v1/reconciliation?date=2026-02-30', 'date'],
  ['/v1/reconciliation?date=20260101', 'date'],
  ['/v1/reconciliation?date=2026-01-01&date=2026-01-02', 'date'],
  ['/v1/pipeline?verbose=1', 'verbose'],
];

/** Broken at the HTTP level rather than in one parameter: anything but a 5xx. */
const MANGLED = [
  `${COUNT}?from=%ZZ&to=${TO}`,
  `${COUNT}?from=${FROM}&to=%E0%A4%A`,
  `${POPULAR}?count=%FF`,
  '/v1/ads/%FF%FE/aggregated_count?from=0&to=60000',
  `/v1/ads/popular_ads?${'x'.repeat(200)}=1`,
  `${COUNT}?from=${FROM}&to=${TO}&filter=${'country:US,'.repeat(500)}`,
  `/v1/ads/${'%00'.repeat(10)}/aggregated_count?from=0&to=60000`,
  '/v1/ads//aggregated_count?from=0&to=60000',
  '/v1/../../etc/passwd',
];

describe('query API: bad parameters on every endpoint', () => {
  it.each(BAD_PARAMETERS)('%s → 400 naming %s', async (path, parameter) => {
    const res = await fetch(`${p.apiUrl}${path}`);
    const body = (await res.json()) as { error?: string; parameter?: string };
    expect(res.status, JSON.stringify(body)).toBe(400);
    expect(body.parameter).toBe(parameter);
    expect(body.error).toContain(parameter);
  });

  it.each(MANGLED)('%s → a 4xx, never a 5xx', async (path) => {
    const res = await fetch(`${p.apiUrl}${path}`);
    const text = await res.text();
    expect(res.status, text).toBeGreaterThanOrEqual(400);
    expect(res.status, text).toBeLessThan(500);
  });

  it('answers a query string larger than the header limit with a 4xx and keeps serving', async () => {
    const res = await fetch(`${p.apiUrl}${COUNT}?from=${FROM}&to=${TO}&filter=${'x'.repeat(100_000)}`);
    await res.arrayBuffer();
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect((await fetch(`${p.apiUrl}/healthz`)).status).toBe(200);
  });

  it('refuses writes to read-only endpoints without a 5xx', async () => {
    for (const path of [COUNT, POPULAR, '/v1/reconciliation']) {
      const res = await fetch(`${p.apiUrl}${path}`, { method: 'POST', body: 'x' });
      await res.arrayBuffer();
      expect(res.status, path).toBeGreaterThanOrEqual(400);
      expect(res.status, path).toBeLessThan(500);
    }
  });
});

describe('collector: bodies it cannot take', () => {
  const post = (body: BodyInit, headers: Record<string, string>) =>
    fetch(`${p.collectorUrl}/v1/clicks`, { method: 'POST', headers, body, duplex: 'half' } as RequestInit);
  const json = { 'content-type': 'application/json' };

  it('413 for a body over the limit, declared or streamed without a length', async () => {
    // Whitespace around one event is valid JSON: only the size is wrong (default limit 5 MiB).
    const big = `${' '.repeat(6 * 1024 * 1024)}${VALID_EVENT_JSON}`;
    const declared = await post(big, json);
    expect(declared.status).toBe(413);
    expect(((await declared.json()) as { error: string }).error).toMatch(/larger than/);
    const chunk = new TextEncoder().encode(' '.repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ > 100) controller.close();
        else controller.enqueue(chunk);
      },
    });
    const streamed = await post(stream, json);
    expect(streamed.status).toBe(413);
    expect(((await streamed.json()) as { error: string }).error).toMatch(/larger than/);
  });

  it('413 for more events than one request may carry', async () => {
    const res = await post(`${VALID_EVENT_JSON}\n`.repeat(10_001), {
      'content-type': 'application/x-ndjson',
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: string }).error).toMatch(/events/);
  });

  it.each([
    ['truncated JSON', '{"click_id":"c-1","ad_id":'],
    ['empty body', ''],
    ['empty array', '[]'],
    ['invalid UTF-8', new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])],
    ['gzip bytes sent as plain JSON', gzipSync(VALID_EVENT_JSON)],
    ['UTF-16 text', new Uint8Array(Buffer.from(`\ufeff${VALID_EVENT_JSON}`, 'utf16le'))],
  ] as Array<[string, string | Uint8Array]>)('400 for an unreadable body: %s', async (_, body) => {
    const res = await post(body as BodyInit, json);
    const answer = (await res.json()) as { error?: string };
    expect(res.status, JSON.stringify(answer)).toBe(400);
    expect(answer.error).toMatch(/\w{3}/);
  });

  it.each([
    ['text/plain'],
    ['application/xml'],
    ['multipart/form-data; boundary=x'],
    ['application/x-www-form-urlencoded'],
    [''],
  ])('415 for Content-Type "%s"', async (type) => {
    const headers: Record<string, string> = type === '' ? {} : { 'content-type': type };
    const res = await post(new TextEncoder().encode(VALID_EVENT_JSON), headers);
    expect(res.status).toBe(415);
    expect(((await res.json()) as { error: string }).error).toMatch(/Content-Type/);
  });

  it('a GET or an unknown path is a 4xx, not a 5xx', async () => {
    for (const [method, path] of [
      ['GET', '/v1/clicks'],
      ['PUT', '/v1/clicks'],
      ['POST', '/v1/click'],
    ]) {
      const res = await fetch(`${p.collectorUrl}${path}`, { method });
      await res.arrayBuffer();
      expect(res.status, `${method} ${path}`).toBeGreaterThanOrEqual(400);
      expect(res.status, `${method} ${path}`).toBeLessThan(500);
    }
  });
});

describe('slow clients', () => {
  const postValid = async (n: number) => {
    const res = await fetch(`${p.collectorUrl}/v1/clicks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...JSON.parse(VALID_EVENT_JSON), click_id: `slow-test-${n}` }),
      signal: AbortSignal.timeout(10_000),
    });
    return { status: res.status, body: await res.text() };
  };

  it('the collector keeps accepting clicks while more clients than it handles at once stall mid-body, and cuts them off', async () => {
    // More stalled requests than the collector's default limit of requests in progress (64).
    const stalled: Socket[] = [];
    for (let i = 0; i < 80; i++) stalled.push(await stalledPost(p.collectorUrl, '/v1/clicks', 100_000, 10));
    sockets.push(...stalled);
    const firstAnswer = readUntilClosed(stalled[0]!, 90_000);
    // Not one answer but a few seconds of them: the stalled requests are surely registered by then.
    const until = performance.now() + 3_000;
    for (let n = 0; performance.now() < until; n++) {
      const answer = await postValid(n);
      expect(answer.status, answer.body).toBe(202);
    }
    expect((await fetch(`${p.collectorUrl}/healthz`)).status).toBe(200);
    // The default body timeout (30 s) answers 408 and closes the connection.
    const answer = await firstAnswer;
    expect(answer, 'the stalled request is answered and its connection closed').not.toBeNull();
    expect(statusOf(answer)).toBe(408);
  });

  it('the API keeps answering while many clients never finish their headers', async () => {
    for (let i = 0; i < 200; i++) sockets.push(await stalledHeaders(p.apiUrl, '/healthz'));
    const started = performance.now();
    const res = await fetch(`${p.apiUrl}${COUNT}?from=${FROM}&to=${TO}`, {
      signal: AbortSignal.timeout(10_000),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { count: number }).count).toBe(0);
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
