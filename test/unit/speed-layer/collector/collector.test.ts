import { describe, expect, it } from 'vitest';
import type { ClickPublisher, OutgoingRecord } from '../../../../shared/click-publisher/types.ts';
import { AdclickError, ErrorCodes } from '../../../../shared/errors/errors.ts';
import { silentLogger } from '../../../../shared/logger/logger.ts';
import { Collector } from '../../../../speed-layer/collector/collector.ts';
import { MALFORMED_EVENTS, VALID_EVENT_JSON } from '../../../fixtures/malformed-events.ts';

class FakePublisher implements ClickPublisher {
  readonly sent: OutgoingRecord[] = [];
  failWith: Error | undefined;
  async start(): Promise<void> {}
  async close(): Promise<void> {}
  isReady(): boolean {
    return true;
  }
  pendingBytes(): number {
    return 0;
  }
  async publish(_topic: string, records: readonly OutgoingRecord[]): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.sent.push(...records);
  }
}

function setup(options: { maxBodyBytes?: number; maxEvents?: number } = {}) {
  const publisher = new FakePublisher();
  const collector = new Collector(
    { host: '127.0.0.1', port: 0, topic: 'ad-clicks', ...options },
    { publisher, logger: silentLogger() },
  );
  const post = (body: string, type = 'application/json') =>
    collector.app.request('/v1/clicks', { method: 'POST', body, headers: { 'content-type': type } });
  return { publisher, collector, post };
}

const event = (i: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ ...JSON.parse(VALID_EVENT_JSON), click_id: `c-${i}`, ...extra });

describe('collector', () => {
  it('accepts one event, keyed by ad_id and normalised', async () => {
    const { post, publisher } = setup();
    const res = await post(event(1, { country: 'us', click_timestamp: '2026-01-01T00:00:00Z' }));
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: 1, rejected: [] });
    expect(publisher.sent[0]!.key).toBe('ad-1');
    expect(JSON.parse(String(publisher.sent[0]!.value))).toMatchObject({
      country: 'US',
      click_timestamp: Date.UTC(2026, 0, 1),
    });
  });

  it('takes an array and NDJSON, rejecting bad events by index', async () => {
    const { post, publisher } = setup();
    const array = await post(`[${event(1)}, {"click_id": 5}, ${event(2)}]`);
    expect(array.status).toBe(202);
    const body = (await array.json()) as {
      accepted: number;
      rejected: Array<{ index: number; field: string }>;
    };
    expect(body.accepted).toBe(2);
    expect(body.rejected).toEqual([expect.objectContaining({ index: 1, field: 'click_id' })]);
    const nd = await post(`${event(3)}\r\n\nnot json\n${event(4)}\n`, 'application/x-ndjson');
    expect(await nd.json()).toEqual({
      accepted: 2,
      rejected: [expect.objectContaining({ index: 2, field: null })],
    });
    expect(publisher.sent).toHaveLength(4);
  });

  it.each(MALFORMED_EVENTS)('answers "$name" with a 4xx or a 202 naming the reason, never 5xx', async (c) => {
    for (const type of ['application/json', 'application/x-ndjson']) {
      const { post, publisher } = setup();
      const res = await post(c.body, type);
      expect(res.status, `${type}`).toBeLessThan(500);
      const answer = (await res.json()) as { error?: string; accepted?: number; rejected?: unknown[] };
      if (res.status === 202) {
        // A JSON array body holds a valid event: it is accepted, the rest is not.
        if (answer.accepted === 0) expect(answer.rejected).toHaveLength(1);
        else expect(c.name).toBe('JSON array');
      } else expect(answer.error).toMatch(/\w/);
      if (c.name !== 'JSON array') expect(publisher.sent).toHaveLength(0);
    }
  });

  it('refuses unreadable, empty, oversized and mistyped bodies', async () => {
    const { post } = setup({ maxBodyBytes: 1000, maxEvents: 2 });
    expect((await post('{"click_id":')).status).toBe(400);
    expect((await post('')).status).toBe(400);
    expect((await post('[]')).status).toBe(400);
    expect((await post('\n\n', 'application/x-ndjson')).status).toBe(400);
    expect((await post('x'.repeat(2000))).status).toBe(413);
    expect((await post(`[${event(1)},${event(2)},${event(3)}]`)).status).toBe(413);
    expect((await post(event(1), 'text/plain')).status).toBe(415);
  });

  it('answers 503 with Retry-After when Kafka cannot take the clicks', async () => {
    const { post, publisher } = setup();
    publisher.failWith = new AdclickError(ErrorCodes.UNAVAILABLE, 'Kafka is not keeping up', {
      retryable: true,
    });
    const res = await post(event(1));
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
  });

  it('serves health, readiness and metrics', async () => {
    const { collector, post } = setup();
    await post(event(1));
    expect((await collector.app.request('/healthz')).status).toBe(200);
    const metrics = await (await collector.app.request('/metrics')).text();
    expect(metrics).toContain('adclick_collector_events_total{outcome="accepted",component="collector"} 1');
    expect((await collector.app.request('/v1/nothing')).status).toBe(404);
  });
});
