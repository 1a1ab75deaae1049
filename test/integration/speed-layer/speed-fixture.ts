/**
 * A unique topic, DLQ topic, keyspace and consumer group per test, a generated stream produced to
 * explicit partitions, and the checks that compare the speed view with the independent recount.
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { CassandraSpeedViewStore } from '../../../shared/aggregate-store/cassandra-speed-view-store.ts';
import type { SpeedViewStore } from '../../../shared/aggregate-store/types.ts';
import { MINUTE_MS } from '../../../shared/aggregation/time.ts';
import { createTestKeyspace, type TestKeyspace } from '../../../shared/cassandra/testing.ts';
import type { AdclickConfig } from '../../../shared/config/types.ts';
import type { GeneratedRecord } from '../../../shared/generator/types.ts';
import { createKafka, ensureTopics, kafkaOptionsFrom } from '../../../shared/kafka/kafka.ts';
import { KafkaClickPublisher } from '../../../shared/kafka/kafka-click-publisher.ts';
import { silentLogger } from '../../../shared/logger/logger.ts';
import { type Recount, recountSpeed } from '../../helpers/recount.ts';
import { requireKafka, testConfig } from '../../helpers/services.ts';
import { recountInputs, testStream as sharedTestStream } from '../../helpers/test-stream.ts';

export const PARTITIONS = 4;
export const LATENESS_MS = 15_000;

export interface SpeedFixture {
  config: AdclickConfig;
  topic: string;
  dlqTopic: string;
  groupId: string;
  keyspace: TestKeyspace;
  kafka: ReturnType<typeof createKafka>;
  publisher: KafkaClickPublisher;
  cleanup(): Promise<void>;
}

/** Creates the topics and keyspace of one test (fails naming Kafka or Cassandra when missing). */
export async function speedFixture(name: string): Promise<SpeedFixture> {
  const base = testConfig();
  await requireKafka(base);
  const keyspace = await createTestKeyspace({ config: base, prefix: `speed_${name}` });
  const id = `${name}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const topic = `t-speed-${id}`;
  const dlqTopic = `${topic}-dlq`;
  const config: AdclickConfig = {
    ...base,
    kafka: { ...base.kafka, topic, dlqTopic, partitions: PARTITIONS },
    cassandra: { ...base.cassandra, keyspace: keyspace.keyspace },
    aggregation: { ...base.aggregation, allowedLatenessMs: LATENESS_MS, idleTimeoutMs: 3_600_000 },
    logLevel: 'warn',
  };
  const kafka = createKafka(kafkaOptionsFrom(config, { clientId: `test-${name}` }), silentLogger());
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, [
    { topic, numPartitions: PARTITIONS },
    { topic: dlqTopic, numPartitions: 1 },
  ]);
  const publisher = new KafkaClickPublisher(kafka, silentLogger());
  await publisher.start();
  return {
    config,
    topic,
    dlqTopic,
    groupId: `g-speed-${id}`,
    keyspace,
    kafka,
    publisher,
    async cleanup() {
      await publisher.close();
      await admin.deleteTopics({ topics: [topic, dlqTopic] }).catch(() => undefined);
      await admin.disconnect();
      await keyspace.drop();
    },
  };
}

/** About 5 minutes of event time: skewed ads, 3 countries, 5% duplicates, out of order, late, malformed. */
export function testStream(seed: number, clicks = 6000): GeneratedRecord[] {
  return sharedTestStream({ seed, clicks, startMs: Date.UTC(2026, 0, 1, 12, 0, 0), partitions: PARTITIONS });
}

export function recountOf(records: readonly GeneratedRecord[]): Recount {
  return recountSpeed(recountInputs(records), LATENESS_MS);
}

/** Produces records to their explicit partitions, in order, in chunks. */
export async function produce(
  f: SpeedFixture,
  records: readonly GeneratedRecord[],
  chunk = 500,
): Promise<void> {
  for (let i = 0; i < records.length; i += chunk) {
    await f.publisher.publish(
      f.topic,
      records.slice(i, i + chunk).map((r) => ({ key: r.key, value: r.value, partition: r.partition })),
    );
  }
}

/** The offset each partition ends at once `records` are produced (offsets start at 0). */
export function endOffsets(records: readonly GeneratedRecord[]): Map<number, string> {
  const ends = new Map<number, string>();
  for (let p = 0; p < PARTITIONS; p++) ends.set(p, String(records.filter((r) => r.partition === p).length));
  return ends;
}

/** Every per-minute cell and every top list of the speed view equals the recount. */
export async function expectViewMatches(
  store: SpeedViewStore,
  records: readonly GeneratedRecord[],
  recount: Recount,
  config: AdclickConfig,
): Promise<void> {
  const minutes = recount.minutes();
  const from = minutes[0]! - 30 * MINUTE_MS;
  const to = minutes.at(-1)! + 30 * MINUTE_MS;
  const ads = new Set(records.flatMap((r) => (r.event ? [r.event.adId] : [])));
  const slices = ['all', 'country=US', 'country=KR', 'country=DE'];
  let cells = 0;
  for (const ad of ads) {
    for (const slice of slices) {
      const got = (await store.minuteCounts(ad, slice, from, to))
        .map((c) => ({ minute: c.minute, count: c.count }))
        .sort((a, b) => a.minute - b.minute);
      expect(got, `${ad} ${slice}`).toEqual(recount.series(ad, slice, from, to));
      cells += got.length;
    }
  }
  expect(cells).toBe(recount.cells.size);
  const n = config.aggregation.topN;
  for (const w of config.aggregation.windowsMinutes) {
    for (const slice of slices) {
      for (let end = minutes[0]! + MINUTE_MS; end <= minutes.at(-1)! + w * MINUTE_MS; end += MINUTE_MS) {
        const list = await store.topList(w, slice, end);
        // Windows ending after the newest minute's end may not be ranked yet (the API sums them).
        if (list === undefined && end > minutes.at(-1)! + MINUTE_MS) continue;
        expect(list?.ads ?? [], `top ${w} ${slice} ${new Date(end).toISOString()}`).toEqual(
          recount.top(w, slice, end, n),
        );
      }
    }
  }
}

export async function openStore(config: AdclickConfig): Promise<CassandraSpeedViewStore> {
  const store = new CassandraSpeedViewStore(config, silentLogger());
  await store.start();
  return store;
}

/** Dead letters read back from the DLQ topic until `count` arrived. */
export async function readDeadLetters(
  f: SpeedFixture,
  count: number,
): Promise<Array<Record<string, unknown>>> {
  const consumer = f.kafka.consumer({ groupId: `${f.groupId}-dlq-reader` });
  const out: Array<Record<string, unknown>> = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [f.dlqTopic], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      out.push(JSON.parse(String(message.value)) as Record<string, unknown>);
    },
  });
  const deadline = Date.now() + 30_000;
  while (out.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  await consumer.disconnect();
  return out;
}
