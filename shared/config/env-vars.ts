import { LOCAL } from './defaults.ts';

/**
 * Every environment variable adclick reads, with its default and meaning. This table is the
 * configuration schema: `loadConfig` validates against it and the config reference in the docs is
 * generated from it.
 */
export interface EnvVar {
  name: string;
  default: string | undefined;
  description: string;
}

export const ENV_VARS: readonly EnvVar[] = [
  {
    name: 'ADCLICK_HOME',
    default: '.adclick',
    description: 'Folder for local infrastructure (downloads, data, logs, pids) and caches.',
  },
  {
    name: 'LOCAL_PORT_OFFSET',
    default: '0',
    description:
      'Added to every local service port (e.g. 1000: Kafka on 20092), to run a second local stack beside the first.',
  },
  { name: 'BIND_HOST', default: '127.0.0.1', description: 'Address the HTTP servers listen on.' },
  { name: 'LOG_LEVEL', default: 'info', description: 'debug | info | warn | error | silent.' },
  {
    name: 'KAFKA_BROKERS',
    default: undefined,
    description: `Comma-separated host:port list. Unset: the local broker on 127.0.0.1:${LOCAL.kafkaPort}.`,
  },
  { name: 'KAFKA_CLIENT_ID', default: 'adclick', description: 'Kafka client id prefix.' },
  { name: 'KAFKA_TOPIC', default: 'ad-clicks', description: 'Topic of raw click events.' },
  {
    name: 'KAFKA_DLQ_TOPIC',
    default: 'ad-clicks-dlq',
    description: 'Dead-letter topic for rejected events.',
  },
  {
    name: 'KAFKA_PARTITIONS',
    default: '12',
    description: 'Partitions of the click topic when adclick creates it.',
  },
  {
    name: 'KAFKA_REPLICATION_FACTOR',
    default: '1',
    description: 'Replication factor of topics adclick creates.',
  },
  {
    name: 'CASSANDRA_CONTACT_POINTS',
    default: undefined,
    description: `Comma-separated host:port list. Unset: the local node on 127.0.0.1:${LOCAL.cassandraPort}.`,
  },
  {
    name: 'CASSANDRA_LOCAL_DC',
    default: 'datacenter1',
    description: 'Local data center of the Cassandra driver.',
  },
  { name: 'CASSANDRA_KEYSPACE', default: 'adclick', description: 'Keyspace of the speed and batch views.' },
  {
    name: 'CASSANDRA_REPLICATION_FACTOR',
    default: '1',
    description: 'Replication factor when adclick creates the keyspace.',
  },
  { name: 'CASSANDRA_USERNAME', default: undefined, description: 'Cassandra user (optional).' },
  { name: 'CASSANDRA_PASSWORD', default: undefined, description: 'Cassandra password (optional).' },
  {
    name: 'S3_ENDPOINT',
    default: undefined,
    description: `S3 endpoint URL. Unset: the local store on http://127.0.0.1:${LOCAL.s3Port}.`,
  },
  {
    name: 'S3_BUCKET',
    default: 'adclick',
    description: 'Bucket of the raw lake (raw/), aggregates (agg/) and reports.',
  },
  { name: 'S3_REGION', default: 'us-east-1', description: 'S3 region.' },
  {
    name: 'S3_FORCE_PATH_STYLE',
    default: 'true',
    description: 'Path-style bucket addressing (needed by most S3-compatible stores).',
  },
  {
    name: 'AWS_ACCESS_KEY_ID',
    default: undefined,
    description: "S3 access key. Unset with a local store: the local store's key.",
  },
  {
    name: 'AWS_SECRET_ACCESS_KEY',
    default: undefined,
    description: "S3 secret key. Unset with a local store: the local store's secret.",
  },
  {
    name: 'REDIS_URL',
    default: undefined,
    description: `Redis URL for BullMQ. Unset: the local Redis on redis://127.0.0.1:${LOCAL.redisPort}.`,
  },
  { name: 'QUEUE_PREFIX', default: 'adclick', description: 'Prefix of BullMQ keys in Redis.' },
  {
    name: 'DIMENSIONS',
    default: 'country',
    description: 'Comma-separated dimensions of the star schema (filter slices).',
  },
  {
    name: 'WINDOWS_MINUTES',
    default: '1,5,15,60',
    description: 'Comma-separated sliding windows (minutes) of popular_ads.',
  },
  {
    name: 'TOP_N',
    default: '100',
    description: 'Length of stored top-N lists; the largest count popular_ads accepts.',
  },
  { name: 'ALLOWED_LATENESS_MS', default: '15000', description: 'Watermark = max event time − this.' },
  {
    name: 'IDLE_TIMEOUT_MS',
    default: '30000',
    description: "After this long without events, a partition's watermark follows processing time.",
  },
  {
    name: 'BATCH_HOURLY_CRON',
    default: '*/5 * * * *',
    description: 'Cron (UTC) of the scan that queues closed, dirty hours for recompute.',
  },
  {
    name: 'BATCH_NIGHTLY_CRON',
    default: '30 1 * * *',
    description: 'Cron (UTC) of the nightly recompute of yesterday and its reconciliation.',
  },
  {
    name: 'BATCH_CLOSE_MARGIN_MS',
    default: '300000',
    description: 'An hour is recomputed once it ended more than ALLOWED_LATENESS_MS + this ago.',
  },
  {
    name: 'PARQUET_WRITER',
    default: 'duckdb',
    description: 'Parquet writer of the archiver: duckdb or parquetjs.',
  },
  {
    name: 'ARCHIVE_MAX_ROWS',
    default: '200000',
    description: "The archiver uploads a partition's file at this many rows…",
  },
  {
    name: 'ARCHIVE_MAX_AGE_MS',
    default: '60000',
    description: '…or when its oldest row has waited this long.',
  },
  { name: 'API_PORT', default: '8080', description: 'Port of the query API and dashboard.' },
  {
    name: 'API_LIVE_CACHE_MS',
    default: '250',
    description:
      "Freshness budget of the query API (0 to 2000 ms; 0 = read at every request): reads of the speed view's open minutes, and popular_ads answers built on them, are shared and reused for at most this long in all, so a click shows up to this much later than a live read. The speed layer rewrites open minutes about once a second, so 250 ms costs little of the 2 s freshness target and saves a Cassandra read per request under load.",
  },
  { name: 'COLLECTOR_PORT', default: '8081', description: 'Port of the click collector (POST /v1/clicks).' },
  {
    name: 'METRICS_PORT',
    default: '9464',
    description: 'Base port of the /metrics endpoints of the speed layer, archiver and batch workers.',
  },
  {
    name: 'API_TOKENS',
    default: undefined,
    description:
      'Bearer tokens: `token=admin` or `token=prefix1|prefix2`, comma-separated. Unset: open (loopback only).',
  },
];
