import { randomBytes } from 'node:crypto';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { waitFor } from '../../../../shared/async/wait-for.ts';
import { parseClick, toWire } from '../../../../shared/click-event/click-event.ts';
import type { ClickEvent } from '../../../../shared/click-event/types.ts';
import { AdclickError, ErrorCodes } from '../../../../shared/errors/errors.ts';
import { createKafka, ensureTopics, translateKafkaError } from '../../../../shared/kafka/kafka.ts';
import { KafkaClickPublisher } from '../../../../shared/kafka/kafka-click-publisher.ts';
import { kafkaOptionsFrom } from '../../../../shared/kafka/options.ts';
import { silentLogger } from '../../../../shared/logger/logger.ts';
import { closedPort } from '../../../helpers/ports.ts';
import { requireKafka, testConfig } from '../../../helpers/services.ts';

const config = testConfig();
const logger = silentLogger();
const kafka = createKafka(kafkaOptionsFrom(config, { clientId: 'adclick-test' }), logger);
let admin: Admin;

function uniqueTopic(name: string): string {
  return `t-${name}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

/** Creates a unique topic through `ensureTopics` and deletes it when the test ends. */
async function testTopic(name: string, numPartitions: number): Promise<string> {
  const topic = uniqueTopic(name);
  onTestFinished(async () => {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  });
  const result = await ensureTopics(admin, [{ topic, numPartitions }]);
  expect(result.created).toEqual([topic]);
  return topic;
}

/** The topic's records from its beginning, in order, once `expected` arrived (a consumer per call). */
async function readBack(
  topic: string,
  expected: number,
): Promise<Array<{ key: string | undefined; value: string }>> {
  const received: Array<{ key: string | undefined; value: string }> = [];
  const consumer = kafka.consumer({ groupId: `${topic}-group` });
  await consumer.connect();
  onTestFinished(() => consumer.disconnect());
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      received.push({ key: message.key?.toString(), value: message.value?.toString() ?? '' });
    },
  });
  await waitFor(() => received.length >= expected, { timeoutMs: 30_000, description: `${expected} records` });
  return received;
}

beforeAll(async () => {
  await requireKafka(config);
  admin = kafka.admin();
  await admin.connect();
});

afterAll(async () => {
  await admin?.disconnect();
});

describe('Kafka through shared/kafka', () => {
  it('ensureTopics creates a missing topic once and reports an existing one unchanged', async () => {
    const topic = await testTopic('ensure', 3);
    const again = await ensureTopics(admin, [{ topic, numPartitions: 3 }]);
    expect(again).toEqual({ created: [], mismatched: [] });
    const different = await ensureTopics(admin, [{ topic, numPartitions: 6 }]);
    expect(different.mismatched).toEqual([{ topic, partitions: 3 }]);
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(meta.topics[0]?.partitions).toHaveLength(3);
  });

  it('produces a click and consumes the same click back', async () => {
    const topic = await testTopic('roundtrip', 2);
    const click: ClickEvent = {
      clickId: `c-${randomBytes(6).toString('hex')}`,
      adId: 'ad-42',
      timestampMs: Date.UTC(2026, 0, 1, 12, 0, 0),
      userId: 'u-1',
      ip: '203.0.113.7',
      country: 'DE',
    };
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    onTestFinished(() => producer.disconnect());
    await producer.send({
      topic,
      acks: -1,
      messages: [{ key: click.adId, value: JSON.stringify(toWire(click)) }],
    });

    const received = await readBack(topic, 1);

    expect(received).toHaveLength(1);
    expect(received[0]?.key).toBe(click.adId);
    const parsed = parseClick(received[0]?.value ?? '');
    expect(parsed).toEqual({ ok: true, event: click });
  });

  it('translates an unreachable broker into a retryable UNAVAILABLE error', async () => {
    const port = await closedPort();
    const nowhere = createKafka(
      {
        brokers: [`127.0.0.1:${port}`],
        clientId: 'adclick-test',
        retry: { retries: 0 },
        logLevel: 'nothing',
      },
      logger,
    );
    const producer = nowhere.producer();
    const error = await producer.connect().then(
      () => undefined,
      (e: unknown) => translateKafkaError(e, 'connecting'),
    );
    expect(error).toBeInstanceOf(AdclickError);
    expect(error?.code).toBe(ErrorCodes.UNAVAILABLE);
    expect(error?.retryable).toBe(true);
    expect(error?.message).toMatch(/^connecting failed: /);
  });
});

describe('KafkaClickPublisher', () => {
  /** A started publisher, closed when the test ends. */
  async function startedPublisher(): Promise<KafkaClickPublisher> {
    const publisher = new KafkaClickPublisher(kafka, logger);
    onTestFinished(() => publisher.close());
    await publisher.start();
    return publisher;
  }

  it('publishes more records to one partition than one produce request may carry, in order', async () => {
    const topic = await testTopic('big-publish', 1);
    const publisher = await startedPublisher();
    // ~3 MiB for one partition: three times the broker's default message.max.bytes (1 MiB).
    const padding = 'x'.repeat(1000);
    const records = Array.from({ length: 3000 }, (_, i) => ({
      key: 'ad-1',
      value: JSON.stringify({ i, padding }),
      partition: 0,
    }));
    await publisher.publish(topic, records);
    expect(publisher.pendingBytes()).toBe(0);

    const received = await readBack(topic, records.length);
    expect(received.map((r) => (JSON.parse(r.value) as { i: number }).i)).toEqual(records.map((_, i) => i));
  });

  it('publishes megabytes to several partitions, with and without an explicit one, each in order', async () => {
    const topic = await testTopic('big-mixed', 4);
    const publisher = await startedPublisher();
    const padding = 'y'.repeat(1000);
    // 1,500 records (~1.5 MiB) for each of partitions 0-3, and 1,500 keyed ones the partitioner places.
    const records = Array.from({ length: 7500 }, (_, i) => ({
      key: i % 5 === 4 ? `ad-${i % 7}` : `p-${i % 5}`,
      value: JSON.stringify({ i, padding }),
      ...(i % 5 === 4 ? {} : { partition: i % 5 }),
    }));
    await publisher.publish(topic, records);
    const received = await readBack(topic, records.length);
    const byKey = new Map<string, number[]>();
    for (const r of received) {
      const list = byKey.get(r.key ?? '') ?? [];
      list.push((JSON.parse(r.value) as { i: number }).i);
      byKey.set(r.key ?? '', list);
    }
    expect([...byKey.values()].reduce((n, l) => n + l.length, 0)).toBe(records.length);
    // One key lives in one partition: its records arrive in the order they were published.
    for (const [key, order] of byKey) expect(order, key).toEqual([...order].sort((a, b) => a - b));
  });
});
