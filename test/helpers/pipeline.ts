/**
 * The whole system as real `adclick` child processes — collector, speed layer, archiver, two batch
 * workers and the query API — on one test's own topic, DLQ topic, keyspace, bucket, queue prefix,
 * consumer groups and ports. Any role can be killed with SIGKILL and started again. Batch runs are
 * triggered explicitly (`adclick replay --remote`, done by the running workers); the hourly and
 * nightly crons are set to once a year so nothing runs behind the test's back.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchRuntime, batchSettingsFrom } from '../../batch-layer/runtime.ts';
import { waitFor } from '../../shared/async/wait-for.ts';
import { createTestKeyspace, type TestKeyspace } from '../../shared/cassandra/testing.ts';
import type { AdclickConfig } from '../../shared/config/types.ts';
import type { GeneratedRecord } from '../../shared/generator/types.ts';
import { createKafka, ensureTopics, kafkaOptionsFrom } from '../../shared/kafka/kafka.ts';
import { KafkaClickPublisher } from '../../shared/kafka/kafka-click-publisher.ts';
import { silentLogger } from '../../shared/logger/logger.ts';
import { s3OptionsFrom } from '../../shared/s3/options.ts';
import { S3ObjectStore } from '../../shared/s3/s3-object-store.ts';
import { OutputLog, runCli, spawnCli, stopChild } from './pipeline-process.ts';
import { closedPort } from './ports.ts';
import { requireCassandra, requireKafka, requireRedis, requireS3, testConfig } from './services.ts';

export const PIPELINE_PARTITIONS = 4;
export const PIPELINE_LATENESS_MS = 15_000;

export const ROLES = ['collector', 'speed', 'archiver', 'batch-a', 'batch-b', 'api'] as const;
export type Role = (typeof ROLES)[number];

export interface Pipeline {
  id: string;
  /** The configuration every child runs with (as the test process sees it). */
  config: AdclickConfig;
  /** Environment of the children. */
  env: NodeJS.ProcessEnv;
  apiUrl: string;
  collectorUrl: string;
  keyspace: TestKeyspace;
  /** Started batch components on the pipeline's queues (to watch jobs). */
  runtime: BatchRuntime;
  start(role: Role): Promise<void>;
  /** `kill -9`; resolves once the process is gone. */
  kill(role: Role): Promise<void>;
  /** SIGTERM and wait. */
  stop(role: Role): Promise<void>;
  /** The running process of a role (`undefined` when stopped). */
  child(role: Role): ChildProcess | undefined;
  /** Processes that exited without the test stopping or killing them, with their output. */
  unexpectedExits(): string[];
  /** Output of every incarnation of a role, last part. */
  output(role: Role): string;
  /** Produces records straight to Kafka at their partitions, in order; retries a failed chunk. */
  produce(records: readonly GeneratedRecord[], chunk?: number): Promise<void>;
  /** POSTs records to the collector as NDJSON, one request per chunk, retrying 503s. */
  post(
    records: readonly GeneratedRecord[],
    chunk?: number,
  ): Promise<{ accepted: number; rejected: Array<{ index: number; reason: string }> }>;
  /** GET on the API, parsed JSON; throws on a non-2xx status. */
  api<T = Record<string, unknown>>(path: string): Promise<T>;
  /**
   * What the speed layer (saved snapshots) and the archiver (committed offsets) still lack of the
   * click topic, per partition; empty once both have everything produced so far.
   */
  lag(): Promise<string[]>;
  /** Waits until `lag()` is empty. */
  waitCaughtUp(timeoutMs?: number): Promise<void>;
  /** `adclick <args>` run to completion in the pipeline's environment. */
  cli(args: readonly string[], allowExit?: readonly number[]): Promise<{ code: number; output: string }>;
  cleanup(): Promise<void>;
}

const ROLE_ARGS: Record<Role, (groupBase: string) => string[]> = {
  collector: () => ['collector', '--metrics-port', '0'],
  speed: (g) => [
    'speed',
    '--group',
    `${g}-speed`,
    '--flush-interval',
    '200',
    '--session-timeout',
    '6000',
    '--metrics-port',
    '0',
  ],
  archiver: (g) => [
    'archive',
    '--group',
    `${g}-archiver`,
    '--session-timeout',
    '6000',
    '--max-age-ms',
    '1000',
    '--metrics-port',
    '0',
  ],
  'batch-a': () => ['batch', '--lock-ms', '5000', '--metrics-port', '0'],
  'batch-b': () => ['batch', '--lock-ms', '5000', '--metrics-port', '0'],
  api: () => ['serve'],
};

/** Log line each long-running command prints once it serves (HTTP roles are probed instead). */
const READY_MARK: Partial<Record<Role, string>> = {
  speed: 'speed layer:',
  archiver: 'archiver started',
  'batch-a': 'batch layer started',
  'batch-b': 'batch layer started',
};

/**
 * Creates the pipeline's topics, keyspace, bucket and names and starts every role (fails naming
 * the missing service). Call `cleanup()` in `afterAll`.
 */
export async function startPipeline(name: string, roles: readonly Role[] = ROLES): Promise<Pipeline> {
  const base = testConfig();
  await requireKafka(base);
  await requireCassandra(base);
  await requireS3(base);
  await requireRedis(base);
  const id = `${name}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`.toLowerCase();
  const keyspace = await createTestKeyspace({ config: base, prefix: `e2e_${name}` });
  const [apiPort, collectorPort, metricsPort] = [await closedPort(), await closedPort(), await closedPort()];
  const topic = `t-e2e-${id}`;
  const dlqTopic = `${topic}-dlq`;
  const bucket = `t-e2e-${id}`.slice(0, 63);
  const queuePrefix = `t-e2e-${id}`;
  // The children's own home: staging folders and the lake cache (whose paths do not name the
  // bucket) stay apart from other tests and go with the pipeline.
  const home = await mkdtemp(join(tmpdir(), `adclick-${name}-`));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ADCLICK_HOME: home,
    KAFKA_TOPIC: topic,
    KAFKA_DLQ_TOPIC: dlqTopic,
    KAFKA_PARTITIONS: String(PIPELINE_PARTITIONS),
    CASSANDRA_KEYSPACE: keyspace.keyspace,
    S3_BUCKET: bucket,
    QUEUE_PREFIX: queuePrefix,
    API_PORT: String(apiPort),
    COLLECTOR_PORT: String(collectorPort),
    METRICS_PORT: String(metricsPort),
    ALLOWED_LATENESS_MS: String(PIPELINE_LATENESS_MS),
    // Event times lie hours in the past: a partition's watermark must never follow the wall clock.
    IDLE_TIMEOUT_MS: String(86_400_000),
    BATCH_HOURLY_CRON: '0 0 1 1 *',
    BATCH_NIGHTLY_CRON: '0 0 1 1 *',
    BATCH_CLOSE_MARGIN_MS: '60000',
    ARCHIVE_MAX_AGE_MS: '1000',
    LOG_LEVEL: 'info',
  };
  const config: AdclickConfig = {
    ...base,
    kafka: { ...base.kafka, topic, dlqTopic, partitions: PIPELINE_PARTITIONS },
    cassandra: { ...base.cassandra, keyspace: keyspace.keyspace },
    s3: { ...base.s3, bucket },
    redis: { ...base.redis, queuePrefix },
    ports: { ...base.ports, api: apiPort, collector: collectorPort, metrics: metricsPort },
    aggregation: { ...base.aggregation, allowedLatenessMs: PIPELINE_LATENESS_MS, idleTimeoutMs: 86_400_000 },
    logLevel: 'warn',
  };

  const kafka = createKafka(kafkaOptionsFrom(config, { clientId: `test-${name}` }), silentLogger());
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, [
    { topic, numPartitions: PIPELINE_PARTITIONS },
    { topic: dlqTopic, numPartitions: 1 },
  ]);
  const publisher = new KafkaClickPublisher(kafka, silentLogger());
  await publisher.start();
  const objects = new S3ObjectStore(s3OptionsFrom(config), silentLogger());
  await objects.start();
  const runtime = new BatchRuntime(config, batchSettingsFrom(config, {}), silentLogger());
  await runtime.start();

  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const collectorUrl = `http://127.0.0.1:${collectorPort}`;
  const children = new Map<Role, ChildProcess>();
  const crashes: string[] = [];
  const logs = new Map<Role, OutputLog[]>();
  const output = (role: Role) =>
    (logs.get(role) ?? [])
      .map((l) => l.text)
      .join('\n--- restarted ---\n')
      .slice(-4000);

  const probe = async (url: string) => {
    try {
      return (await fetch(url, { signal: AbortSignal.timeout(2000) })).ok;
    } catch {
      return false;
    }
  };

  const pipeline: Pipeline = {
    id,
    config,
    env,
    apiUrl,
    collectorUrl,
    keyspace,
    runtime,
    async start(role) {
      if (children.has(role)) throw new Error(`${role} already runs`);
      const log = new OutputLog();
      logs.set(role, [...(logs.get(role) ?? []), log]);
      const child = spawnCli(ROLE_ARGS[role](`g-e2e-${id}`), env, log);
      children.set(role, child);
      child.once('exit', (code, signal) => {
        if (children.get(role) !== child) return;
        children.delete(role);
        crashes.push(`${role} exited with ${code ?? signal}:\n${log.tail(1500)}`);
      });
      try {
        await waitFor(
          async () => {
            if (child.exitCode !== null || child.signalCode !== null) return 'exited';
            if (role === 'api') return (await probe(`${apiUrl}/readyz`)) && 'ready';
            if (role === 'collector') return (await probe(`${collectorUrl}/readyz`)) && 'ready';
            return log.text.includes(READY_MARK[role]!) && 'ready';
          },
          { timeoutMs: 120_000, intervalMs: 200, description: `${role} to start` },
        ).then((state) => {
          if (state === 'exited') throw new Error(`${role} exited during start-up`);
        });
      } catch (error) {
        throw new Error(`${(error as Error).message}; output:\n${output(role)}`);
      }
    },
    async kill(role) {
      const child = children.get(role);
      if (child === undefined) throw new Error(`${role} does not run`);
      children.delete(role);
      child.kill('SIGKILL');
      await stopChild(child, 5000);
    },
    async stop(role) {
      const child = children.get(role);
      if (child === undefined) return;
      children.delete(role);
      await stopChild(child);
    },
    child: (role) => children.get(role),
    unexpectedExits: () => [...crashes],
    output,
    async produce(records, chunk = 200) {
      for (let i = 0; i < records.length; i += chunk) {
        const batch = records
          .slice(i, i + chunk)
          .map((r) => ({ key: r.key, value: r.value, partition: r.partition }));
        await waitFor(
          async () => {
            try {
              await publisher.publish(topic, batch);
              return true;
            } catch {
              return false;
            }
          },
          { timeoutMs: 300_000, intervalMs: 1000, description: `Kafka to take records ${i}…` },
        );
      }
    },
    async post(records, chunk = 200) {
      let accepted = 0;
      const rejected: Array<{ index: number; reason: string }> = [];
      for (let i = 0; i < records.length; i += chunk) {
        const body = records
          .slice(i, i + chunk)
          .map((r) => r.value)
          .join('\n');
        let answer: { accepted: number; rejected: Array<{ index: number; reason: string }> } | undefined;
        await waitFor(
          async () => {
            try {
              const res = await fetch(`${collectorUrl}/v1/clicks`, {
                method: 'POST',
                headers: { 'content-type': 'application/x-ndjson' },
                body,
                signal: AbortSignal.timeout(30_000),
              });
              if (res.status === 503) return false;
              if (res.status !== 202)
                throw new Error(`collector answered ${res.status}: ${await res.text()}`);
              answer = (await res.json()) as typeof answer;
              return true;
            } catch (error) {
              if ((error as Error).message.startsWith('collector answered')) throw error;
              return false;
            }
          },
          { timeoutMs: 300_000, intervalMs: 1000, description: `the collector to take records ${i}…` },
        );
        accepted += answer!.accepted;
        for (const r of answer!.rejected) rejected.push({ index: r.index + i, reason: r.reason });
      }
      return { accepted, rejected };
    },
    async api<T>(path: string): Promise<T> {
      const res = await fetch(`${apiUrl}${path}`, { signal: AbortSignal.timeout(30_000) });
      const text = await res.text();
      if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${text}`);
      return JSON.parse(text) as T;
    },
    async lag() {
      const ends = await admin.fetchTopicOffsets(topic);
      const archived = await admin.fetchOffsets({ groupId: `g-e2e-${id}-archiver`, topics: [topic] });
      const archivedAt = new Map(archived[0]?.partitions.map((x) => [x.partition, x.offset]) ?? []);
      const rs = await keyspace.client.execute(
        'SELECT partition, offset FROM speed_snapshots WHERE consumer_group = ?',
        [`g-e2e-${id}-speed`],
        { prepare: true },
      );
      const speedAt = new Map(rs.rows.map((r) => [r.partition as number, String(r.offset)]));
      const out: string[] = [];
      for (const { partition, offset } of ends) {
        if (offset === '0') continue;
        if (speedAt.get(partition) !== offset)
          out.push(`speed p${partition} at ${speedAt.get(partition)} of ${offset}`);
        if (archivedAt.get(partition) !== offset)
          out.push(`archiver p${partition} at ${archivedAt.get(partition)} of ${offset}`);
      }
      return out;
    },
    async waitCaughtUp(timeoutMs = 180_000) {
      let last: string[] = [];
      try {
        await waitFor(
          async () => {
            last = await pipeline.lag();
            return last.length === 0;
          },
          { timeoutMs, intervalMs: 500, description: 'the speed layer and the archiver to catch up' },
        );
      } catch (error) {
        throw new Error(
          `${(error as Error).message} (${last.join(', ')})\nspeed: ${output('speed').slice(-1500)}\narchiver: ${output('archiver').slice(-1500)}`,
        );
      }
    },
    cli: (args, allowExit) => runCli(args, { ...env, LOG_LEVEL: 'warn' }, { timeoutMs: 300_000, allowExit }),
    async cleanup() {
      await Promise.all([...children.keys()].map((role) => pipeline.stop(role)));
      await publisher.close().catch(() => undefined);
      await admin.deleteTopics({ topics: [topic, dlqTopic] }).catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
      await objects.deleteBucket().catch(() => objects.close());
      await runtime.queues.obliterate().catch(() => undefined);
      await runtime.ledger.deleteAll().catch(() => undefined);
      await runtime.close().catch(() => undefined);
      await keyspace.drop().catch(() => undefined);
      await rm(home, { recursive: true, force: true });
    },
  };
  try {
    await Promise.all(roles.map((role) => pipeline.start(role)));
  } catch (error) {
    await pipeline.cleanup();
    throw error;
  }
  return pipeline;
}
