import { randomBytes } from 'node:crypto';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { waitFor } from '../../../../shared/async/wait-for.ts';
import { createKafka, ensureTopics } from '../../../../shared/kafka/kafka.ts';
import { KafkaClickPublisher } from '../../../../shared/kafka/kafka-click-publisher.ts';
import { kafkaOptionsFrom } from '../../../../shared/kafka/options.ts';
import { silentLogger } from '../../../../shared/logger/logger.ts';
import { partitionForKey } from '../../../../shared/partitioning/partition-for-key.ts';
import { Collector } from '../../../../speed-layer/collector/collector.ts';
import { COLLECTOR_DEFAULTS } from '../../../../speed-layer/collector/options.ts';
import { MALFORMED_EVENTS, VALID_EVENT_JSON } from '../../../fixtures/malformed-events.ts';
import { requireKafka, testConfig } from '../../../helpers/services.ts';

const config = testConfig();
const logger = silentLogger();
const kafka = createKafka(kafkaOptionsFrom(config, { clientId: 'adclick-test-collector' }), logger);
let admin: Admin;

async function testTopic(partitions: number): Promise<string> {
  const topic = `t-collector-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  onTestFinished(async () => {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  });
  await ensureTopics(admin, [{ topic, numPartitions: partitions }]);
  return topic;
}

async function startCollector(topic: string, publishTimeoutMs?: number) {
  const publisher = new KafkaClickPublisher(kafka, logger, { publishTimeoutMs });
  await publisher.start();
  const collector = new Collector({ host: '127.0.0.1', port: 0, topic }, { publisher, logger });
  await collector.start();
  onTestFinished(async () => {
    await collector.close();
    await publisher.close();
  });
  const post = (body: string, type = 'application/json') =>
    fetch(`${collector.url}/v1/clicks`, { method: 'POST', body, headers: { 'content-type': type } });
  return { collector, post };
}

/** Every record of `topic` (key, partition, value), read from the beginning. */
async function readAll(topic: string, expected: number) {
  const consumer = kafka.consumer({ groupId: `g-${randomBytes(4).toString('hex')}` });
  const seen: Array<{ key: string; partition: number; value: Record<string, unknown> }> = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        seen.push({
          key: message.key?.toString() ?? '',
          partition,
          value: JSON.parse(message.value?.toString() ?? 'null'),
        });
      },
    });
    await waitFor(() => seen.length >= expected, { timeoutMs: 30_000, description: `${expected} records` });
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

beforeAll(async () => {
  await requireKafka(config);
  admin = kafka.admin();
  await admin.connect();
});

afterAll(async () => {
  await admin?.disconnect();
});

describe('collector on a real Kafka', () => {
  it('answers 202 after Kafka has the clicks, keyed by ad_id, and never 5xx for malformed bodies', async () => {
    const topic = await testTopic(4);
    const { post } = await startCollector(topic);
    const base = JSON.parse(VALID_EVENT_JSON) as Record<string, unknown>;
    const ads = ['ad-1', 'ad-2', 'ad-3', 'ad-4', 'ad-5'];
    const batch = ads.map((ad, i) => ({ ...base, click_id: `c-${i}`, ad_id: ad, country: 'kr' }));
    const nd = await post(batch.map((e) => JSON.stringify(e)).join('\n'), 'application/x-ndjson');
    expect(nd.status).toBe(202);
    expect(await nd.json()).toEqual({ accepted: 5, rejected: [] });
    const one = await post(JSON.stringify({ ...base, click_id: 'c-single' }));
    expect(one.status).toBe(202);

    for (const c of MALFORMED_EVENTS) {
      if (c.name === 'JSON array') continue; // holds a valid event, accepted on purpose
      for (const type of ['application/json', 'application/x-ndjson']) {
        const res = await post(c.body, type);
        expect(res.status, `${c.name} as ${type}`).toBeLessThan(500);
        const answer = (await res.json()) as { accepted?: number; error?: string };
        if (res.status === 202) expect(answer.accepted, c.name).toBe(0);
        else expect(answer.error, c.name).toMatch(/\w/);
      }
    }

    const records = await readAll(topic, 6);
    expect(records).toHaveLength(6);
    for (const r of records) {
      expect(r.partition).toBe(partitionForKey(r.key, 4));
      expect(r.value.ad_id).toBe(r.key);
    }
    expect(records.find((r) => r.value.click_id === 'c-0')?.value.country).toBe('KR');
  });

  it('accepts a body near its size limit whose clicks all go to one partition', async () => {
    const topic = await testTopic(2);
    const { post } = await startCollector(topic);
    const base = JSON.parse(VALID_EVENT_JSON) as Record<string, unknown>;
    const lines: string[] = [];
    let bytes = 0;
    while (lines.length < COLLECTOR_DEFAULTS.maxEvents) {
      const line = JSON.stringify({ ...base, click_id: `big-${lines.length}`, ad_id: 'ad-hot' });
      lines.push(line);
      bytes += line.length + 1;
    }
    // More bytes for one partition than the broker takes in one batch (1 MiB by default).
    expect(bytes).toBeGreaterThan(1.1 * 1024 * 1024);
    expect(bytes).toBeLessThan(COLLECTOR_DEFAULTS.maxBodyBytes);
    const res = await post(lines.join('\n'), 'application/x-ndjson');
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: lines.length, rejected: [] });
    const records = await readAll(topic, lines.length);
    expect(new Set(records.map((r) => r.value.click_id)).size).toBe(lines.length);
    expect(new Set(records.map((r) => r.partition))).toEqual(new Set([partitionForKey('ad-hot', 2)]));
  });

  it('answers 503 with Retry-After when Kafka does not acknowledge in time', async () => {
    const topic = await testTopic(1);
    // A topic that does not exist never acknowledges: the same as a broker that is down.
    const { post } = await startCollector(`${topic}-missing`, 1500);
    const res = await post(VALID_EVENT_JSON);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(((await res.json()) as { error: string }).error).toMatch(/not accepted/);
  });
});
