import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../../shared/config/config.ts';
import { LOCAL } from '../../../../shared/config/defaults.ts';
import { withConfigReference } from '../../../../shared/config/reference.ts';
import { AdclickError } from '../../../../shared/errors/errors.ts';

const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env, '/tmp');
  } catch (error) {
    expect(error).toBeInstanceOf(AdclickError);
    return (error as AdclickError).details.problems as string[];
  }
  throw new Error('expected the configuration to be rejected');
};

describe('loadConfig', () => {
  it('points everything at the local infrastructure when nothing is set', () => {
    const config = loadConfig({}, '/tmp');
    expect(config.kafka).toMatchObject({
      brokers: [`127.0.0.1:${LOCAL.kafkaPort}`],
      local: true,
      topic: 'ad-clicks',
      dlqTopic: 'ad-clicks-dlq',
      partitions: 12,
    });
    expect(config.cassandra).toMatchObject({
      contactPoints: [`127.0.0.1:${LOCAL.cassandraPort}`],
      local: true,
      keyspace: 'adclick',
    });
    expect(config.s3).toMatchObject({
      endpoint: `http://127.0.0.1:${LOCAL.s3Port}`,
      local: true,
      bucket: 'adclick',
    });
    expect(config.redis).toMatchObject({ url: `redis://127.0.0.1:${LOCAL.redisPort}`, local: true });
    expect(config.ports).toMatchObject({ api: 8080, collector: 8081 });
    expect(config.bindHost).toBe('127.0.0.1');
    expect(config.aggregation).toEqual({
      dimensions: ['country'],
      windowsMinutes: [1, 5, 15, 60],
      topN: 100,
      allowedLatenessMs: 15_000,
      idleTimeoutMs: 30_000,
    });
    expect(config.batch).toEqual({
      hourlyCron: '*/5 * * * *',
      nightlyCron: '30 1 * * *',
      closeMarginMs: 300_000,
      parquetWriter: 'duckdb',
      archiveMaxRows: 200_000,
      archiveMaxAgeMs: 60_000,
    });
    expect(config.apiTokens).toEqual([]);
    expect(config.home).toBe('/tmp/.adclick');
  });

  it('marks services external when their variables are set', () => {
    const config = loadConfig(
      {
        KAFKA_BROKERS: 'k1:9092,k2:9092',
        CASSANDRA_CONTACT_POINTS: 'c1:9042',
        S3_ENDPOINT: 'https://s3.example.com',
        AWS_ACCESS_KEY_ID: 'a',
        AWS_SECRET_ACCESS_KEY: 'b',
        REDIS_URL: 'redis://r:6379',
      },
      '/tmp',
    );
    expect(config.kafka).toMatchObject({ brokers: ['k1:9092', 'k2:9092'], local: false });
    expect(config.cassandra.local).toBe(false);
    expect(config.s3).toMatchObject({ local: false, accessKeyId: 'a' });
    expect(config.redis.local).toBe(false);
  });

  it('parses API tokens, admin and scoped', () => {
    const config = loadConfig({ API_TOKENS: 'adm-secret-1=admin, acme-token-1=acme-|acme2-' }, '/tmp');
    expect(config.apiTokens).toEqual([
      { token: 'adm-secret-1', role: 'admin', adPrefixes: [] },
      { token: 'acme-token-1', role: 'scoped', adPrefixes: ['acme-', 'acme2-'] },
    ]);
  });

  it.each([
    [{ API_PORT: 'eighty' }, 'API_PORT'],
    [{ COLLECTOR_PORT: '70000' }, 'COLLECTOR_PORT'],
    [{ KAFKA_BROKERS: 'no-port' }, 'KAFKA_BROKERS'],
    [{ CASSANDRA_CONTACT_POINTS: 'a:1,b' }, 'CASSANDRA_CONTACT_POINTS'],
    [{ CASSANDRA_KEYSPACE: 'Bad-Name' }, 'CASSANDRA_KEYSPACE'],
    [{ S3_ENDPOINT: 'ftp://x', AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b' }, 'S3_ENDPOINT'],
    [{ S3_ENDPOINT: 'https://s3.example.com' }, 'AWS_ACCESS_KEY_ID'],
    [{ S3_BUCKET: 'UPPER' }, 'S3_BUCKET'],
    [{ REDIS_URL: 'localhost:6379' }, 'REDIS_URL'],
    [{ WINDOWS_MINUTES: '1,0' }, 'WINDOWS_MINUTES'],
    [{ DIMENSIONS: 'city' }, 'DIMENSIONS'],
    [{ ALLOWED_LATENESS_MS: '-5' }, 'ALLOWED_LATENESS_MS'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ PARQUET_WRITER: 'arrow' }, 'PARQUET_WRITER'],
    [{ BATCH_HOURLY_CRON: 'hourly' }, 'BATCH_HOURLY_CRON'],
    [{ API_TOKENS: 'short=admin' }, 'API_TOKENS'],
    [{ API_TOKENS: 'long-enough-token=' }, 'API_TOKENS'],
  ])('rejects %j naming %s', (env, name) => {
    const problems = problemsOf(env);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.startsWith(`${name}:`)).toBe(true);
  });

  it('reports every problem at once and never echoes a token', () => {
    const problems = problemsOf({ API_PORT: 'x', COLLECTOR_PORT: 'y', API_TOKENS: 'secret=' });
    expect(problems).toHaveLength(3);
    expect(problems.join('\n')).not.toContain('secret');
  });
});

describe('README configuration table', () => {
  it('is the one generated from the schema (run `npm run docs:config` after changing it)', () => {
    const readme = readFileSync(new URL('../../../../README.md', import.meta.url), 'utf8');
    expect(withConfigReference(readme)).toBe(readme);
  });
});
