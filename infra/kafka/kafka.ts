import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { AdclickConfig } from '../../shared/config/types.ts';
import { AdclickError, ErrorCodes } from '../../shared/errors/errors.ts';
import { createKafka, ensureTopics } from '../../shared/kafka/kafka.ts';
import { kafkaOptionsFrom } from '../../shared/kafka/options.ts';
import { requireJava } from '../java/java.ts';
import { lastLines, resolveMavenRuntime } from '../java/maven.ts';
import { assertPortFree, runningPid, servicePaths, spawnDaemon, stopDaemon } from '../process/process.ts';
import type { InfraContext, LocalService, ServiceHealth } from '../types.ts';
import { type KafkaLayout, kafkaJvmArgs, kafkaPaths, log4jProperties, serverProperties } from './config.ts';

const run = promisify(execFile);
const POM = fileURLToPath(new URL('./pom.xml', import.meta.url));
/** Dead-letter traffic is small; one partition keeps it in arrival order. */
const DLQ_PARTITIONS = 1;

function layout(ctx: InfraContext): KafkaLayout {
  const paths = servicePaths(ctx.home, 'kafka');
  return {
    libDir: join(paths.cacheDir, 'lib'),
    dataDir: paths.dataDir,
    port: ctx.config.localPorts.kafka,
    controllerPort: ctx.config.localPorts.kafkaController,
  };
}

/** Formats the KRaft storage once (the cluster id lives in `meta.properties` afterwards). */
async function formatStorage(ctx: InfraContext, l: KafkaLayout): Promise<void> {
  const { logDirs, serverProperties: props } = kafkaPaths(l);
  if (existsSync(join(logDirs, 'meta.properties'))) return;
  // A Kafka cluster id is 16 random bytes in URL-safe base64; Kafka refuses ids starting with '-'.
  let clusterId = randomBytes(16).toString('base64url');
  while (clusterId.startsWith('-')) clusterId = randomBytes(16).toString('base64url');
  const args = [...kafkaJvmArgs(l), 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', props, '-g'];
  try {
    await run('java', args, { timeout: 120_000 });
    ctx.logger.info({ service: 'kafka', clusterId }, 'formatted KRaft storage');
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    throw new AdclickError(
      ErrorCodes.INFRA,
      `formatting Kafka storage in ${logDirs} failed:\n${lastLines(`${e.stdout ?? ''}${e.stderr ?? ''}`, 15)}`,
      { cause: error },
    );
  }
}

/** Kafka 3.9 (KRaft, one combined broker + controller) from Maven Central jars. */
export const kafkaService: LocalService = {
  name: 'kafka',

  isExternal: (config: AdclickConfig) => !config.kafka.local,

  address: (config: AdclickConfig) => config.kafka.brokers.join(','),

  async install(ctx) {
    await requireJava();
    await resolveMavenRuntime({
      name: 'kafka',
      pom: POM,
      libDir: layout(ctx).libDir,
      home: ctx.home,
      logger: ctx.logger,
    });
  },

  async start(ctx) {
    if (runningPid(ctx.home, 'kafka') !== undefined) return;
    const l = layout(ctx);
    await assertPortFree(l.port, 'Kafka', 'KAFKA_BROKERS');
    await assertPortFree(l.controllerPort, 'Kafka controller', 'KAFKA_BROKERS');
    const paths = kafkaPaths(l);
    mkdirSync(paths.confDir, { recursive: true });
    mkdirSync(paths.logDirs, { recursive: true });
    writeFileSync(paths.serverProperties, serverProperties(l));
    writeFileSync(paths.log4jProperties, log4jProperties());
    await formatStorage(ctx, l);
    const pid = spawnDaemon({
      name: 'kafka',
      home: ctx.home,
      command: 'java',
      args: [...kafkaJvmArgs(l), 'kafka.Kafka', paths.serverProperties],
      cwd: l.dataDir,
    });
    ctx.logger.info({ service: 'kafka', pid }, 'started Kafka');
  },

  async health(ctx): Promise<ServiceHealth> {
    const external = !ctx.config.kafka.local;
    const base = {
      name: 'kafka',
      address: ctx.config.kafka.brokers.join(','),
      managed: external ? ('external' as const) : ('local' as const),
      pid: external ? undefined : runningPid(ctx.home, 'kafka'),
    };
    const kafka = createKafka(
      kafkaOptionsFrom(ctx.config, {
        clientId: `${ctx.config.kafka.clientId}-health`,
        connectionTimeoutMs: 1500,
        requestTimeoutMs: 5000,
        retry: { retries: 0 },
        logLevel: 'nothing',
      }),
      ctx.logger,
    );
    const admin = kafka.admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      return {
        ...base,
        healthy: true,
        detail: `${cluster.brokers.length} broker(s), controller ${cluster.controller ?? 'none'}`,
      };
    } catch (error) {
      return { ...base, healthy: false, detail: `metadata request failed: ${(error as Error).message}` };
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  },

  async provision(ctx) {
    const { topic, dlqTopic, partitions, replicationFactor } = ctx.config.kafka;
    const kafka = createKafka(kafkaOptionsFrom(ctx.config, { logLevel: 'error' }), ctx.logger);
    const admin = kafka.admin();
    try {
      await admin.connect();
      const result = await ensureTopics(admin, [
        { topic, numPartitions: partitions, replicationFactor },
        { topic: dlqTopic, numPartitions: DLQ_PARTITIONS, replicationFactor },
      ]);
      if (result.created.length > 0) ctx.logger.info({ topics: result.created }, 'created Kafka topics');
      for (const m of result.mismatched) {
        ctx.logger.warn(
          { topic: m.topic, partitions: m.partitions },
          'topic exists with a different partition count than configured; left unchanged',
        );
      }
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  },

  async stop(ctx) {
    // A controlled shutdown of a combined node takes a few seconds; give it time before SIGKILL.
    await stopDaemon(ctx.home, 'kafka', 60_000);
  },
};
