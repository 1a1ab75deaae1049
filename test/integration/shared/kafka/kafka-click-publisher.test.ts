import { randomBytes } from 'node:crypto';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { waitFor } from '../../../../shared/async/wait-for.ts';
import { createKafka, ensureTopics } from '../../../../shared/kafka/kafka.ts';
import { KafkaClickPublisher } from '../../../../shared/kafka/kafka-click-publisher.ts';
import { kafkaOptionsFrom } from '../../../../shared/kafka/options.ts';
import { silentLogger } from '../../../../shared/logger/logger.ts';
import { requireKafka, testConfig } from '../../../helpers/services.ts';

const config = testConfig();
const logger = silentLogger();
const kafka = createKafka(kafkaOptionsFrom(config, { clientId: 'adclick-test' }), logger);
let admin: Admin;

beforeAll(async () => {
  await requireKafka(config);
  admin = kafka.admin();
  await admin.connect();
});

afterAll(async () => {
  await admin?.disconnect();
});

async function testTopic(name: string, numPartitions: number): Promise<string> {
  const topic = `t-${name}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  onTestFinished(async () => {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  });
  await ensureTopics(admin, [{ topic, numPartitions }]);
  return topic;
}

async function startedPublisher(options: ConstructorParameters<typeof KafkaClickPublisher>[2] = {}) {
  const publisher = new KafkaClickPublisher(kafka, logger, options);
  onTestFinished(() => publisher.close());
  await publisher.start();
  return publisher;
}

/** Every value of the topic, read from the beginning by a fresh group. */
async function readAll(topic: string, expected: number): Promise<string[]> {
  const consumer = kafka.consumer({ groupId: `g-${randomBytes(4).toString('hex')}` });
  onTestFinished(() => consumer.disconnect());
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  const values: string[] = [];
  await consumer.run({
    eachMessage: async ({ message }) => {
      values.push(message.value?.toString() ?? '');
    },
  });
  await waitFor(() => values.length >= expected, { timeoutMs: 30_000, description: `${expected} records` });
  return values;
}

describe('KafkaClickPublisher', () => {
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
    const values = await readAll(topic, records.length);
    expect(values.map((v) => (JSON.parse(v) as { i: number }).i)).toEqual(records.map((_, i) => i));
  });
});
