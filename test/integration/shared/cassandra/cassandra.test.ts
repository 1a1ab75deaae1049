import { createServer } from 'node:net';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { connectCassandraClient } from '../../../../shared/cassandra/client.ts';
import { migrate } from '../../../../shared/cassandra/migrate.ts';
import { loadMigrations } from '../../../../shared/cassandra/migrations.ts';
import { cassandraOptionsFrom } from '../../../../shared/cassandra/options.ts';
import { createTestKeyspace } from '../../../../shared/cassandra/testing.ts';
import { loadConfig } from '../../../../shared/config/config.ts';
import { AdclickError, ErrorCodes } from '../../../../shared/errors/errors.ts';
import { silentLogger } from '../../../../shared/logger/logger.ts';

const config = loadConfig(process.env);
const logger = silentLogger();
const SLOW = 120_000;

/** A loopback port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('Cassandra migrations', () => {
  it(
    'migrates a fresh keyspace and a second run changes nothing',
    async () => {
      const ks = await createTestKeyspace({ config, prefix: 'migrate', registerCleanup: onTestFinished });
      const versions = loadMigrations().map((m) => m.version);

      const recorded = await ks.client.execute('SELECT version, file, checksum FROM schema_migrations');
      expect(recorded.rows.map((r) => r.get('version')).sort((a, b) => a - b)).toEqual(versions);

      const again = await migrate(ks.client, ks.keyspace, logger);
      expect(again.applied).toEqual([]);
      expect(again.alreadyApplied.sort((a, b) => a - b)).toEqual(versions);

      const tables = await ks.client.execute(
        'SELECT table_name FROM system_schema.tables WHERE keyspace_name = ?',
        [ks.keyspace],
      );
      // Replaced by speed_ad_minute_counts (migration 014).
      expect(tables.rows.map((r) => r.get('table_name'))).not.toContain('speed_minute_counts');
      expect(tables.rows.map((r) => r.get('table_name'))).toEqual(
        expect.arrayContaining([
          'speed_ad_minute_counts',
          'speed_minute_slices',
          'batch_hours',
          'batch_watermark',
          'schema_migrations',
        ]),
      );
    },
    SLOW,
  );

  it(
    'two runners migrating one keyspace at once apply each version exactly once',
    async () => {
      const ks = await createTestKeyspace({
        config,
        prefix: 'race',
        migrate: false,
        registerCleanup: onTestFinished,
      });
      const other = await connectCassandraClient(ks.options, logger);
      onTestFinished(() => other.shutdown());

      const [a, b] = await Promise.all([
        migrate(ks.client, ks.keyspace, logger),
        migrate(other, ks.keyspace, logger),
      ]);
      const versions = loadMigrations().map((m) => m.version);
      expect([...a.applied, ...b.applied].sort((x, y) => x - y)).toEqual(versions);

      const recorded = await ks.client.execute('SELECT version, applied_by FROM schema_migrations');
      expect(recorded.rowLength).toBe(versions.length);
      const lock = await ks.client.execute('SELECT id FROM schema_migrations_lock');
      expect(lock.rowLength).toBe(0);
    },
    SLOW,
  );

  it(
    'refuses to go on when an applied migration file was changed',
    async () => {
      const ks = await createTestKeyspace({ config, prefix: 'changed', registerCleanup: onTestFinished });
      const [first, ...rest] = loadMigrations();
      const edited = { ...first!, checksum: 'f'.repeat(64) };
      const error = await migrate(ks.client, ks.keyspace, logger, { migrations: [edited, ...rest] }).catch(
        (e) => e,
      );
      expect(error).toBeInstanceOf(AdclickError);
      expect(error).toMatchObject({ code: ErrorCodes.INTERNAL, retryable: false });
      expect(error.message).toMatch(/001_views\.cql was changed after it was applied/);
    },
    SLOW,
  );
});

describe('Cassandra speed view', () => {
  let drop: (() => Promise<void>) | undefined;
  afterAll(async () => drop?.());

  it(
    'writes a speed_ad_minute_counts row and reads it back; a rewrite replaces the count',
    async () => {
      const ks = await createTestKeyspace({ config, prefix: 'speedrow' });
      drop = ks.drop;
      const minute = new Date(Date.UTC(2026, 0, 2, 3, 4));
      const hour = new Date(Date.UTC(2026, 0, 2, 3));
      const upsert =
        'INSERT INTO speed_ad_minute_counts (slice, hour, bucket, ad_id, minute, count) VALUES (?, ?, ?, ?, ?, ?)';
      const params = (count: number) => ['country=US', hour, 7, 'ad-1', minute, count];
      await ks.client.execute(upsert, params(41), { prepare: true });
      await ks.client.execute(upsert, params(42), { prepare: true });

      const result = await ks.client.execute(
        'SELECT minute, count FROM speed_ad_minute_counts WHERE slice = ? AND hour = ? AND bucket = ? AND ad_id = ?',
        ['country=US', hour, 7, 'ad-1'],
        { prepare: true },
      );
      expect(result.rowLength).toBe(1);
      const row = result.first();
      expect((row.get('minute') as Date).getTime()).toBe(minute.getTime());
      expect(Number(row.get('count'))).toBe(42);
    },
    SLOW,
  );
});

describe('Cassandra client errors', () => {
  it(
    'a wrong contact point fails with UNAVAILABLE naming the address',
    async () => {
      const port = await closedPort();
      const options = cassandraOptionsFrom(config, {
        contactPoints: [`127.0.0.1:${port}`],
        keyspace: undefined,
        connectTimeoutMs: 2_000,
      });
      const error = await connectCassandraClient(options, logger).catch((e) => e);
      expect(error).toBeInstanceOf(AdclickError);
      expect(error).toMatchObject({ code: ErrorCodes.UNAVAILABLE, retryable: true });
      expect(error.message).toContain(`127.0.0.1:${port}`);
    },
    SLOW,
  );

  it(
    'a bad statement against the real node is INTERNAL and not retryable',
    async () => {
      const client = await connectCassandraClient(
        cassandraOptionsFrom(config, { keyspace: undefined }),
        logger,
      );
      onTestFinished(() => client.shutdown());
      const { translateCassandraError } = await import('../../../../shared/cassandra/errors.ts');
      const error = await client
        .execute('SELEC nonsense', [], { prepare: false })
        .catch((e) => translateCassandraError(e, { operation: 'probe' }));
      expect(error).toMatchObject({ code: ErrorCodes.INTERNAL, retryable: false });
    },
    SLOW,
  );
});
