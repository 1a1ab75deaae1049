import { type Admin, type ITopicConfig, Kafka, type LogEntry, logLevel } from 'kafkajs';
import { AdclickError, ErrorCodes } from '../errors/errors.ts';
import type { Logger } from '../logger/logger.ts';
import { translateKafkaError } from './errors.ts';
import { type KafkaLogLevel, type KafkaOptions, resolveKafkaOptions } from './options.ts';
import type { TopicSpec } from './types.ts';

const KAFKAJS_LEVELS: Record<KafkaLogLevel, logLevel> = {
  nothing: logLevel.NOTHING,
  error: logLevel.ERROR,
  warn: logLevel.WARN,
  info: logLevel.INFO,
  debug: logLevel.DEBUG,
};

/**
 * The one place a kafkajs client is built: validated options, our retry and timeout defaults, and
 * kafkajs's own log lines sent to the injected `Logger` (component `kafkajs`, with its namespace).
 *
 * @throws AdclickError `CONFIG_INVALID` naming the failing option.
 */
export function createKafka(options: KafkaOptions, logger: Logger): Kafka {
  const o = resolveKafkaOptions(options);
  const log = logger.child({ component: 'kafkajs' });
  return new Kafka({
    clientId: o.clientId,
    brokers: o.brokers,
    connectionTimeout: o.connectionTimeoutMs,
    requestTimeout: o.requestTimeoutMs,
    retry: {
      retries: o.retry.retries,
      initialRetryTime: o.retry.initialRetryTimeMs,
      maxRetryTime: o.retry.maxRetryTimeMs,
    },
    logLevel: KAFKAJS_LEVELS[o.logLevel],
    logCreator: () => (entry) => bridge(log, entry),
  });
}

function bridge(log: Logger, { namespace, level, log: line }: LogEntry): void {
  const { message, timestamp: _timestamp, logger: _logger, ...fields } = line;
  const withNs = { namespace, ...fields };
  if (level === logLevel.ERROR) log.error(withNs, message);
  else if (level === logLevel.WARN) log.warn(withNs, message);
  else if (level === logLevel.INFO) log.info(withNs, message);
  else if (level === logLevel.DEBUG) log.debug(withNs, message);
}

/**
 * Creates the topics of `specs` that do not exist yet; existing topics are left as they are (a
 * partition count that differs from the spec is reported in the result, never changed, because
 * changing it would move keys between partitions).
 *
 * @returns the topics created and those whose partition count differs from the spec.
 * @throws AdclickError translated by `translateKafkaError`.
 */
export async function ensureTopics(
  admin: Admin,
  specs: readonly TopicSpec[],
): Promise<{ created: string[]; mismatched: Array<{ topic: string; partitions: number }> }> {
  try {
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !existing.has(s.topic));
    if (missing.length > 0) {
      const topics: ITopicConfig[] = missing.map((s) => ({
        topic: s.topic,
        numPartitions: s.numPartitions,
        replicationFactor: s.replicationFactor ?? 1,
        configEntries: Object.entries(s.config ?? {}).map(([name, value]) => ({ name, value })),
      }));
      await createTolerant(admin, topics);
    }
    const present = specs.filter((s) => existing.has(s.topic));
    const mismatched: Array<{ topic: string; partitions: number }> = [];
    if (present.length > 0) {
      const meta = await admin.fetchTopicMetadata({ topics: present.map((s) => s.topic) });
      for (const t of meta.topics) {
        const spec = present.find((s) => s.topic === t.name);
        if (spec && t.partitions.length !== spec.numPartitions) {
          mismatched.push({ topic: t.name, partitions: t.partitions.length });
        }
      }
    }
    return { created: missing.map((s) => s.topic), mismatched };
  } catch (error) {
    throw translateKafkaError(error, `creating topics ${specs.map((s) => s.topic).join(', ')}`);
  }
}

/**
 * Fails fast when `topic` is missing: producing to it would otherwise make kafkajs retry topic
 * metadata for minutes before giving up.
 *
 * @throws AdclickError `INVALID_INPUT` saying how to create it.
 */
export async function assertTopicExists(kafka: Kafka, topic: string): Promise<void> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const topics = await admin.listTopics();
    if (!topics.includes(topic)) {
      throw new AdclickError(
        ErrorCodes.INVALID_INPUT,
        `Kafka topic "${topic}" does not exist: run \`adclick up\` or create it`,
      );
    }
  } catch (error) {
    throw error instanceof AdclickError ? error : translateKafkaError(error, `looking up topic ${topic}`);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

async function createTolerant(admin: Admin, topics: ITopicConfig[]): Promise<void> {
  try {
    await admin.createTopics({ topics, waitForLeaders: true });
  } catch (error) {
    // Another process may create the same topic between listTopics and createTopics.
    const nested = (error as { errors?: Array<{ type?: string }> }).errors ?? [];
    if (nested.length === 0 || !nested.every((e) => e.type === 'TOPIC_ALREADY_EXISTS')) throw error;
  }
}

export { translateKafkaError } from './errors.ts';
export { type KafkaOptions, kafkaOptionsFrom } from './options.ts';
export type { TopicSpec } from './types.ts';
