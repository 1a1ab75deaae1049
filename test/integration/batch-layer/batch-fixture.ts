/**
 * One test's own topic, lake root (key prefix in the bucket), Redis queue prefix and keyspace; a
 * generated stream produced to explicit partitions; helpers to run the archiver and the batch
 * layer (in process or as `adclick` child processes) and to compare the batch view with the
 * independent recount.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { Archiver } from '../../../batch-layer/archiver/archiver.ts';
import { KafkaArchiveSource } from '../../../batch-layer/archiver/kafka-archive-source.ts';
import { createParquetWriter } from '../../../batch-layer/parquet/create-parquet-writer.ts';
import { BatchRuntime, batchSettingsFrom } from '../../../batch-layer/runtime.ts';
import { CassandraBatchViewStore } from '../../../shared/aggregate-store/cassandra-batch-view-store.ts';
import type { BatchViewStore } from '../../../shared/aggregate-store/types.ts';
import { HOUR_MS, hourOf, MINUTE_MS } from '../../../shared/aggregation/time.ts';
import { waitFor } from '../../../shared/async/wait-for.ts';
import { createTestKeyspace, type TestKeyspace } from '../../../shared/cassandra/testing.ts';
import { parseClick } from '../../../shared/click-event/click-event.ts';
import type { AdclickConfig } from '../../../shared/config/types.ts';
import type { GeneratedRecord } from '../../../shared/generator/types.ts';
import { createKafka, ensureTopics, kafkaOptionsFrom } from '../../../shared/kafka/kafka.ts';
import { KafkaClickPublisher } from '../../../shared/kafka/kafka-click-publisher.ts';
import { silentLogger } from '../../../shared/logger/logger.ts';
import { s3OptionsFrom } from '../../../shared/s3/options.ts';
import { S3ObjectStore } from '../../../shared/s3/s3-object-store.ts';
import { type Recount, recountAll } from '../../helpers/recount.ts';
import { requireKafka, requireRedis, requireS3, testConfig } from '../../helpers/services.ts';
import { recountInputs, testStream as sharedTestStream } from '../../helpers/test-stream.ts';

export const PARTITIONS = 4;
export const SLICES = ['all', 'country=US', 'country=KR', 'country=DE'];

export interface BatchFixture {
  id: string;
  config: AdclickConfig;
  topic: string;
  /** Lake root of this test inside the bucket (ends with `/`). */
  lakeRoot: string;
  groupId: string;
  keyspace: TestKeyspace;
  objects: S3ObjectStore;
  publisher: KafkaClickPublisher;
  /** Environment of `adclick` child processes pointed at this test's topic, keyspace and queues. */
  env: NodeJS.ProcessEnv;
  cleanup(): Promise<void>;
}

/** Creates the topic, keyspace and names of one test (fails naming the missing service). */
export async function batchFixture(name: string): Promise<BatchFixture> {
  const base = testConfig();
  await requireKafka(base);
  await requireS3(base);
  await requireRedis(base);
  const keyspace = await createTestKeyspace({ config: base, prefix: `batch_${name}` });
  const id = `${name}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const topic = `t-batch-${id}`;
  const config: AdclickConfig = {
    ...base,
    kafka: { ...base.kafka, topic, partitions: PARTITIONS },
    cassandra: { ...base.cassandra, keyspace: keyspace.keyspace },
    redis: { ...base.redis, queuePrefix: `t-batch-${id}` },
    logLevel: 'warn',
  };
  const kafka = createKafka(kafkaOptionsFrom(config, { clientId: `test-${name}` }), silentLogger());
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, [{ topic, numPartitions: PARTITIONS }]);
  const publisher = new KafkaClickPublisher(kafka, silentLogger());
  await publisher.start();
  const objects = new S3ObjectStore(s3OptionsFrom(config), silentLogger());
  await objects.start();
  const lakeRoot = `t-batch-${id}/`;
  const fixture: BatchFixture = {
    id,
    config,
    topic,
    lakeRoot,
    groupId: `g-batch-${id}`,
    keyspace,
    objects,
    publisher,
    env: {
      ...process.env,
      KAFKA_TOPIC: topic,
      CASSANDRA_KEYSPACE: keyspace.keyspace,
      QUEUE_PREFIX: config.redis.queuePrefix,
      LOG_LEVEL: 'warn',
    },
    async cleanup() {
      await publisher.close();
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
      for (const o of await objects.list(lakeRoot)) await objects.delete(o.key);
      await objects.close();
      await keyspace.drop();
      const runtime = batchRuntime(fixture);
      await runtime.ledger.start();
      await runtime.queues.obliterate().catch(() => undefined);
      await runtime.ledger.deleteAll();
      await runtime.close();
      await rm(join(config.home, 'staging', 'test-archiver', id), { recursive: true, force: true });
    },
  };
  return fixture;
}

/** The batch layer's components on this test's names (not started). */
export function batchRuntime(f: BatchFixture): BatchRuntime {
  return new BatchRuntime(f.config, batchSettingsFrom(f.config, { lakeRoot: f.lakeRoot }), silentLogger());
}

/**
 * About 5 minutes of event time across an hour boundary (12:57–13:02 UTC, so 60-minute windows
 * of the second hour need the first hour's clicks): skewed ads, 3 countries, 5% duplicates, out
 * of order, 2% late by two minutes, 1% malformed.
 */
export function testStream(seed: number, clicks = 6000): GeneratedRecord[] {
  return sharedTestStream({ seed, clicks, startMs: Date.UTC(2026, 0, 1, 12, 57, 0), partitions: PARTITIONS });
}

export function recountOf(records: readonly GeneratedRecord[]): Recount {
  return recountAll(recountInputs(records));
}

/** Records the archiver must put under `rejected/`. */
export function malformedCount(records: readonly GeneratedRecord[]): number {
  return records.filter((r) => !parseClick(r.value).ok).length;
}

/** Produces records to their explicit partitions, in order, in chunks. */
export async function produce(
  f: BatchFixture,
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

/** An archiver in this process on the test's topic and lake root. */
export function inProcessArchiver(f: BatchFixture, runtime: BatchRuntime, maxRows = 1000): Archiver {
  return new Archiver(
    {
      source: new KafkaArchiveSource({
        brokers: f.config.kafka.brokers,
        clientId: `test-archiver-${f.id}`,
        topic: f.topic,
        groupId: f.groupId,
        logger: silentLogger(),
      }),
      objects: runtime.objects,
      layout: runtime.layout,
      ledger: runtime.ledger,
      writer: createParquetWriter('duckdb'),
      logger: silentLogger(),
    },
    {
      stagingDir: join(f.config.home, 'staging', 'test-archiver', f.id),
      maxRows,
      maxAgeMs: 500,
      tickMs: 100,
    },
  );
}

/** Starts `adclick <args>` as a child process on the test's names; output is collected. */
export function startCli(f: BatchFixture, args: readonly string[], output: string[]): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], {
    env: f.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => output.push(d.toString()));
  child.stderr?.on('data', (d: Buffer) => output.push(d.toString()));
  return child;
}

/** Resolves with the exit code once the child has exited (at once if it already has). */
export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** Distinct raw rows of the lake under the test's root, by hour (counted from object names). */
export async function rawObjects(f: BatchFixture): Promise<string[]> {
  return (await f.objects.list(`${f.lakeRoot}raw/`)).map((o) => o.key);
}

export async function openBatchView(f: BatchFixture): Promise<BatchViewStore> {
  const store = new CassandraBatchViewStore(f.config, silentLogger());
  await store.start();
  return store;
}

/** Hours the batch layer must have published for the stream (its hours plus the one after). */
export function hoursOf(recount: Recount): number[] {
  const minutes = recount.minutes();
  const out: number[] = [];
  for (let h = hourOf(minutes[0]!); h <= hourOf(minutes.at(-1)!) + HOUR_MS; h += HOUR_MS) out.push(h);
  return out;
}

/**
 * Every cell (per ad and slice, and per slice and minute) and every top list of every window
 * ending in the published hours, read back through the view, equals the recount.
 */
export async function expectBatchViewMatches(
  store: BatchViewStore,
  records: readonly GeneratedRecord[],
  recount: Recount,
  config: AdclickConfig,
): Promise<{ cells: number; topLists: number }> {
  const hours = hoursOf(recount);
  const from = hours[0]!;
  const to = hours.at(-1)! + HOUR_MS;
  const ads = [...new Set(records.flatMap((r) => (r.event ? [r.event.adId] : [])))].sort();
  let cells = 0;
  await Promise.all(
    ads.flatMap((ad) =>
      SLICES.map(async (slice) => {
        const got = (await store.minuteCounts(ad, slice, from, to)).map((c) => ({
          minute: c.minute,
          count: c.count,
        }));
        expect(got, `${ad} ${slice}`).toEqual(recount.series(ad, slice, from, to));
        cells += got.length;
      }),
    ),
  );
  expect(cells).toBe(recount.cells.size);
  for (const minute of recount.minutes()) {
    for (const slice of SLICES) {
      const got = (await store.sliceMinute(slice, minute)).sort((a, b) => (a.adId < b.adId ? -1 : 1));
      const want = ads
        .map((adId) => ({ adId, count: recount.count(adId, slice, minute, minute + MINUTE_MS) }))
        .filter((a) => a.count > 0);
      expect(got, `slice minute ${slice} ${new Date(minute).toISOString()}`).toEqual(want);
    }
  }
  const n = config.aggregation.topN;
  let topLists = 0;
  for (const w of config.aggregation.windowsMinutes) {
    for (const slice of SLICES) {
      const checks: Array<Promise<void>> = [];
      for (let end = from + MINUTE_MS; end <= to; end += MINUTE_MS) {
        checks.push(
          store.topList(w, slice, end).then((list) => {
            if (list !== undefined) topLists++;
            expect(list?.ads ?? [], `top ${w} ${slice} ${new Date(end).toISOString()}`).toEqual(
              recount.top(w, slice, end, n),
            );
          }),
        );
      }
      await Promise.all(checks);
    }
  }
  return { cells, topLists };
}

/** Everything the view answers for the stream's ads, slices and hours, as one comparable value. */
export async function viewSnapshot(
  store: BatchViewStore,
  records: readonly GeneratedRecord[],
  recount: Recount,
  config: AdclickConfig,
): Promise<string> {
  const hours = hoursOf(recount);
  const from = hours[0]!;
  const to = hours.at(-1)! + HOUR_MS;
  const ads = [...new Set(records.flatMap((r) => (r.event ? [r.event.adId] : [])))].sort();
  const cells = await Promise.all(
    ads.flatMap((ad) => SLICES.map((slice) => store.minuteCounts(ad, slice, from, to))),
  );
  const tops: Array<Promise<unknown>> = [];
  for (const w of config.aggregation.windowsMinutes)
    for (const slice of SLICES)
      for (let end = from + MINUTE_MS; end <= to; end += MINUTE_MS) tops.push(store.topList(w, slice, end));
  return JSON.stringify({ cells, tops: await Promise.all(tops) });
}

/** Archives `records` with an in-process archiver; returns the dirty hours. */
export async function archiveAll(
  f: BatchFixture,
  runtime: BatchRuntime,
  records: readonly GeneratedRecord[],
): Promise<number[]> {
  const archiver = inProcessArchiver(f, runtime);
  await archiver.start();
  try {
    await produce(f, records);
    await waitFor(() => archiver.stats.valid + archiver.stats.rejected === records.length, {
      timeoutMs: 60_000,
      description: `archiver to commit all ${records.length} records`,
    });
  } finally {
    await archiver.close();
  }
  return runtime.ledger.dirtyHours(Number.MAX_SAFE_INTEGER);
}

/** Archives `records` with an in-process archiver and recomputes every dirty hour in process. */
export async function archiveAndRecompute(
  f: BatchFixture,
  runtime: BatchRuntime,
  view: BatchViewStore,
  records: readonly GeneratedRecord[],
): Promise<number[]> {
  const hours = await archiveAll(f, runtime, records);
  const jobs = runtime.jobs(view);
  for (const hour of hours) await jobs.recompute(hour);
  return hours;
}
