import { isAbsolute, resolve } from 'node:path';
import { AdclickError, ErrorCodes } from '../errors/errors.ts';
import { LOCAL } from './defaults.ts';
import { ENV_VARS } from './env-vars.ts';
import type { AdclickConfig, ApiToken } from './types.ts';

export type Env = Readonly<Record<string, string | undefined>>;

const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
const KNOWN = new Set(ENV_VARS.map((v) => v.name));

/**
 * Builds and validates the configuration from environment variables (SPEC A7). Only entrypoints
 * call this, with `process.env`; everything else receives typed options. Every problem is
 * reported at once, each naming its variable.
 *
 * @throws AdclickError `CONFIG_INVALID` listing each failing variable and what it accepts.
 */
export function loadConfig(env: Env, cwd: string = process.cwd()): AdclickConfig {
  const problems: string[] = [];
  const read = (name: string): string | undefined => {
    if (!KNOWN.has(name)) throw new AdclickError(ErrorCodes.INTERNAL, `unknown config variable ${name}`);
    const value = env[name]?.trim();
    if (value !== undefined && value !== '') return value;
    return ENV_VARS.find((v) => v.name === name)?.default;
  };
  const fail = (name: string, reason: string) => problems.push(`${name}: ${reason}`);
  const str = (name: string): string => read(name) ?? '';
  const int = (name: string, min: number, max: number): number => {
    const raw = str(name);
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || n < min || n > max) {
      fail(name, `expected an integer from ${min} to ${max}, got "${raw}"`);
      return min;
    }
    return n;
  };
  const list = (name: string): string[] =>
    str(name)
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  const hostPorts = (name: string, fallback: string): string[] => {
    const items = read(name) === undefined ? [fallback] : list(name);
    for (const item of items) {
      if (!/^[^\s:]+:\d{1,5}$/.test(item) && !/^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(item)) {
        fail(name, `expected host:port entries separated by commas, got "${item}"`);
      }
    }
    if (items.length === 0) fail(name, 'expected at least one host:port');
    return items;
  };

  const logLevel = str('LOG_LEVEL') as AdclickConfig['logLevel'];
  if (!LOG_LEVELS.includes(logLevel))
    fail('LOG_LEVEL', `expected one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);

  const offset = int('LOCAL_PORT_OFFSET', 0, 40_000);
  const localPorts = {
    kafka: LOCAL.kafkaPort + offset,
    kafkaController: LOCAL.kafkaControllerPort + offset,
    cassandra: LOCAL.cassandraPort + offset,
    cassandraStorage: LOCAL.cassandraStoragePort + offset,
    s3: LOCAL.s3Port + offset,
    redis: LOCAL.redisPort + offset,
  };
  const s3Endpoint = read('S3_ENDPOINT') ?? `http://127.0.0.1:${localPorts.s3}`;
  if (!/^https?:\/\/[^\s]+$/.test(s3Endpoint))
    fail('S3_ENDPOINT', `expected an http(s) URL, got "${s3Endpoint}"`);
  const s3Local = read('S3_ENDPOINT') === undefined;
  const accessKeyId = read('AWS_ACCESS_KEY_ID') ?? (s3Local ? LOCAL.s3AccessKeyId : '');
  const secretAccessKey = read('AWS_SECRET_ACCESS_KEY') ?? (s3Local ? LOCAL.s3SecretAccessKey : '');
  if (!s3Local && (accessKeyId === '' || secretAccessKey === '')) {
    fail('AWS_ACCESS_KEY_ID', 'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are required with S3_ENDPOINT');
  }
  const bucket = str('S3_BUCKET');
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket))
    fail('S3_BUCKET', `not a valid bucket name: "${bucket}"`);

  const redisUrl = read('REDIS_URL') ?? `redis://127.0.0.1:${localPorts.redis}`;
  if (!/^rediss?:\/\/[^\s]+$/.test(redisUrl))
    fail('REDIS_URL', `expected redis://host:port, got "${redisUrl}"`);

  const keyspace = str('CASSANDRA_KEYSPACE');
  if (!/^[a-z][a-z0-9_]{0,47}$/.test(keyspace)) {
    fail('CASSANDRA_KEYSPACE', `expected lower-case letters, digits and _ (max 48), got "${keyspace}"`);
  }

  const dimensions = list('DIMENSIONS');
  for (const d of dimensions) {
    if (d !== 'country') fail('DIMENSIONS', `unknown dimension "${d}"; supported: country`);
  }
  const windowsMinutes = list('WINDOWS_MINUTES').map(Number);
  if (windowsMinutes.length === 0 || windowsMinutes.some((m) => !Number.isInteger(m) || m < 1 || m > 1440)) {
    fail(
      'WINDOWS_MINUTES',
      `expected comma-separated whole minutes from 1 to 1440, got "${str('WINDOWS_MINUTES')}"`,
    );
  }

  const ports = {
    api: int('API_PORT', 1, 65535),
    collector: int('COLLECTOR_PORT', 1, 65535),
    metrics: int('METRICS_PORT', 1, 65535),
  };
  const apiTokens = parseTokens(read('API_TOKENS'), (reason) => fail('API_TOKENS', reason));

  const parquetWriter = str('PARQUET_WRITER');
  if (parquetWriter !== 'duckdb' && parquetWriter !== 'parquetjs') {
    fail('PARQUET_WRITER', `expected duckdb or parquetjs, got "${parquetWriter}"`);
  }
  for (const name of ['BATCH_HOURLY_CRON', 'BATCH_NIGHTLY_CRON']) {
    if (str(name).split(/\s+/).length < 5)
      fail(name, `expected a 5- or 6-field cron expression, got "${str(name)}"`);
  }

  const home = str('ADCLICK_HOME');
  const config: AdclickConfig = {
    home: isAbsolute(home) ? home : resolve(cwd, home),
    localPorts,
    bindHost: str('BIND_HOST'),
    logLevel,
    kafka: {
      brokers: hostPorts('KAFKA_BROKERS', `127.0.0.1:${localPorts.kafka}`),
      local: read('KAFKA_BROKERS') === undefined,
      clientId: str('KAFKA_CLIENT_ID'),
      topic: str('KAFKA_TOPIC'),
      dlqTopic: str('KAFKA_DLQ_TOPIC'),
      partitions: int('KAFKA_PARTITIONS', 1, 10_000),
      replicationFactor: int('KAFKA_REPLICATION_FACTOR', 1, 10),
    },
    cassandra: {
      contactPoints: hostPorts('CASSANDRA_CONTACT_POINTS', `127.0.0.1:${localPorts.cassandra}`),
      local: read('CASSANDRA_CONTACT_POINTS') === undefined,
      localDataCenter: str('CASSANDRA_LOCAL_DC'),
      keyspace,
      replicationFactor: int('CASSANDRA_REPLICATION_FACTOR', 1, 10),
      username: read('CASSANDRA_USERNAME'),
      password: read('CASSANDRA_PASSWORD'),
    },
    s3: {
      endpoint: s3Endpoint,
      local: s3Local,
      bucket,
      region: str('S3_REGION'),
      accessKeyId,
      secretAccessKey,
      forcePathStyle: str('S3_FORCE_PATH_STYLE') !== 'false',
    },
    redis: { url: redisUrl, local: read('REDIS_URL') === undefined, queuePrefix: str('QUEUE_PREFIX') },
    aggregation: {
      dimensions,
      windowsMinutes: [...new Set(windowsMinutes)].sort((a, b) => a - b),
      topN: int('TOP_N', 1, 1000),
      allowedLatenessMs: int('ALLOWED_LATENESS_MS', 0, 86_400_000),
      idleTimeoutMs: int('IDLE_TIMEOUT_MS', 100, 86_400_000),
    },
    batch: {
      hourlyCron: str('BATCH_HOURLY_CRON'),
      nightlyCron: str('BATCH_NIGHTLY_CRON'),
      closeMarginMs: int('BATCH_CLOSE_MARGIN_MS', 0, 86_400_000),
      parquetWriter: parquetWriter as AdclickConfig['batch']['parquetWriter'],
      archiveMaxRows: int('ARCHIVE_MAX_ROWS', 1, 10_000_000),
      archiveMaxAgeMs: int('ARCHIVE_MAX_AGE_MS', 100, 86_400_000),
    },
    serving: { liveCacheMs: int('API_LIVE_CACHE_MS', 0, 2000) },
    ports,
    apiTokens,
  };
  if (problems.length > 0) {
    throw new AdclickError(ErrorCodes.CONFIG_INVALID, `Invalid configuration:\n  ${problems.join('\n  ')}`, {
      details: { problems },
    });
  }
  return config;
}

function parseTokens(raw: string | undefined, fail: (reason: string) => void): ApiToken[] {
  if (raw === undefined) return [];
  const tokens: ApiToken[] = [];
  for (const entry of raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const eq = entry.indexOf('=');
    const token = eq < 0 ? '' : entry.slice(0, eq);
    const scope = eq < 0 ? '' : entry.slice(eq + 1);
    // The token itself is never echoed back: config errors end up in logs.
    if (token.length < 8) {
      fail(
        `entry #${tokens.length + 1}: expected token=admin or token=prefix1|prefix2 with a token of 8+ characters`,
      );
      continue;
    }
    const prefixes = scope.split('|').filter(Boolean);
    if (prefixes.length === 0) {
      fail(`entry #${tokens.length + 1}: no scope after "="`);
      continue;
    }
    tokens.push(
      scope === 'admin'
        ? { token, role: 'admin', adPrefixes: [] }
        : { token, role: 'scoped', adPrefixes: prefixes },
    );
  }
  return tokens;
}
