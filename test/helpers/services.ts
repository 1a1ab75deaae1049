/**
 * Checks that a test's service is reachable, failing (never skipping) with a message naming the
 * service, its address and how to start it. Call in `beforeAll`.
 */
import { connectCassandraClient } from '../../shared/cassandra/client.ts';
import { cassandraOptionsFrom } from '../../shared/cassandra/options.ts';
import { loadConfig } from '../../shared/config/config.ts';
import type { AdclickConfig } from '../../shared/config/types.ts';
import { createKafka } from '../../shared/kafka/kafka.ts';
import { kafkaOptionsFrom } from '../../shared/kafka/options.ts';
import { silentLogger } from '../../shared/logger/logger.ts';
import { redactRedisUrl, redisOptionsFrom } from '../../shared/redis/options.ts';
import { createRedis, pingRedis } from '../../shared/redis/redis.ts';
import { s3OptionsFrom } from '../../shared/s3/options.ts';
import { createS3Client, listBuckets } from '../../shared/s3/s3.ts';

/** The configuration tests run against (the local services unless env vars point elsewhere). */
export function testConfig(): AdclickConfig {
  return loadConfig(process.env);
}

function unreachable(service: string, address: string, envVar: string, error: unknown): Error {
  const reason = error instanceof Error ? error.message : String(error);
  return new Error(
    `${service} is not reachable at ${address} — run \`npm run up\` (or set ${envVar} to yours). ${reason}`,
  );
}

/** Fails unless a Kafka broker answers a metadata request. */
export async function requireKafka(config: AdclickConfig = testConfig()): Promise<void> {
  const kafka = createKafka(
    kafkaOptionsFrom(config, { connectionTimeoutMs: 2000, retry: { retries: 1 }, logLevel: 'nothing' }),
    silentLogger(),
  );
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.describeCluster();
  } catch (error) {
    throw unreachable('Kafka', config.kafka.brokers.join(','), 'KAFKA_BROKERS', error);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Fails unless the S3 store answers ListBuckets with the configured credentials. */
export async function requireS3(config: AdclickConfig = testConfig()): Promise<void> {
  const client = createS3Client(s3OptionsFrom(config, { maxAttempts: 1, connectionTimeoutMs: 2000 }));
  try {
    await listBuckets(client);
  } catch (error) {
    throw unreachable('The S3 store', config.s3.endpoint ?? 'AWS S3', 'S3_ENDPOINT', error);
  } finally {
    client.destroy();
  }
}

/** Fails unless Redis answers PING. */
export async function requireRedis(config: AdclickConfig = testConfig()): Promise<void> {
  const client = createRedis(
    redisOptionsFrom(config, { maxRetriesPerRequest: 0, connectTimeoutMs: 2000 }),
    silentLogger(),
  );
  try {
    await pingRedis(client, 3000);
  } catch (error) {
    throw unreachable('Redis', redactRedisUrl(config.redis.url), 'REDIS_URL', error);
  } finally {
    client.disconnect();
  }
}

/** Fails unless a Cassandra node accepts a connection. */
export async function requireCassandra(config: AdclickConfig = testConfig()): Promise<void> {
  try {
    const client = await connectCassandraClient(
      cassandraOptionsFrom(config, { keyspace: undefined, applicationName: 'adclick-test' }),
      silentLogger(),
    );
    await client.shutdown();
  } catch (error) {
    throw unreachable(
      'Cassandra',
      config.cassandra.contactPoints.join(','),
      'CASSANDRA_CONTACT_POINTS',
      error,
    );
  }
}
