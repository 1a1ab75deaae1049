/**
 * Local infrastructure addresses: what `adclick up` starts and what every component uses when the
 * corresponding env var is not set. Ports are off the usual defaults so a developer's own Kafka,
 * Cassandra or Redis on this machine is never touched by mistake.
 */
export const LOCAL = {
  kafkaPort: 19092,
  kafkaControllerPort: 19093,
  cassandraPort: 19042,
  cassandraStoragePort: 17000,
  s3Port: 19000,
  redisPort: 16379,
  s3AccessKeyId: 'adclick',
  s3SecretAccessKey: 'adclick-local-secret',
} as const;
