import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Client } from 'cassandra-driver';
import { waitFor } from '../async/wait-for.ts';
import { AdclickError, ErrorCodes } from '../errors/errors.ts';
import type { Logger } from '../logger/logger.ts';
import { translateCassandraError } from './errors.ts';
import { assertKeyspaceName, DDL_TIMEOUT_MS } from './keyspace.ts';
import { loadMigrations, type Migration } from './migrations.ts';

export interface MigrateOptions {
  /** Migrations to apply (default: every file in `shared/cassandra/migrations/`). */
  migrations?: Migration[];
  /** How long to wait for another process's run to finish (default 5 min). */
  lockWaitMs?: number;
  /** The lock expires on its own after this long, so a crashed runner never blocks forever (default 10 min). */
  lockTtlSeconds?: number;
}

export interface MigrateResult {
  /** Versions this call applied. */
  applied: number[];
  /** Versions that were already recorded. */
  alreadyApplied: number[];
}

const BOOKKEEPING = [
  `CREATE TABLE IF NOT EXISTS schema_migrations (
     version int PRIMARY KEY, file text, checksum text, applied_at timestamp, applied_by text)`,
  `CREATE TABLE IF NOT EXISTS schema_migrations_lock (
     id text PRIMARY KEY, owner text, acquired_at timestamp)`,
];

const LOCK_ID = 'migrate';

/**
 * Applies the pending versioned migrations to `keyspace` in version order and records each one
 * (with its checksum) in `schema_migrations`. Safe to run again (nothing pending → no change) and
 * from several processes at once: runners serialise on a lightweight-transaction lock row, and
 * every statement is idempotent (IF NOT EXISTS), so a run that died half-way is simply redone.
 *
 * Switches `client` to `keyspace` (`USE`) when it is connected to another keyspace or none.
 *
 * @throws AdclickError `INTERNAL` when an applied migration's file has changed since.
 */
export async function migrate(
  client: Client,
  keyspace: string,
  logger: Logger,
  options: MigrateOptions = {},
): Promise<MigrateResult> {
  assertKeyspaceName(keyspace);
  const migrations = options.migrations ?? loadMigrations();
  const log = logger.child({ component: 'cassandra-migrate', keyspace });
  const ddl = async (cql: string, what: string) => {
    try {
      await client.execute(cql, [], { prepare: false, readTimeout: DDL_TIMEOUT_MS });
    } catch (error) {
      throw translateCassandraError(error, { operation: `${what} in ${keyspace}` });
    }
  };
  if (client.keyspace !== keyspace) await ddl(`USE ${keyspace}`, 'use keyspace');
  for (const cql of BOOKKEEPING) await ddl(cql, 'create migration bookkeeping');

  const alreadyApplied = [...(await appliedChecksums(client, migrations)).keys()];
  if (migrations.every((m) => alreadyApplied.includes(m.version))) return { applied: [], alreadyApplied };

  const owner = `${hostname()}:${process.pid}:${randomUUID()}`;
  await acquireLock(client, owner, options, log);
  try {
    // Another runner may have finished while this one waited for the lock.
    const done = await appliedChecksums(client, migrations);
    const applied: number[] = [];
    for (const migration of migrations) {
      if (done.has(migration.version)) continue;
      const started = Date.now();
      for (const [index, statement] of migration.statements.entries()) {
        await ddl(statement, `${migration.file} statement ${index + 1}`);
      }
      try {
        await client.execute(
          'INSERT INTO schema_migrations (version, file, checksum, applied_at, applied_by) VALUES (?, ?, ?, ?, ?)',
          [migration.version, migration.file, migration.checksum, new Date(), owner],
        );
      } catch (error) {
        throw translateCassandraError(error, { operation: `record migration ${migration.file}` });
      }
      applied.push(migration.version);
      log.info(
        { file: migration.file, statements: migration.statements.length, ms: Date.now() - started },
        'migration applied',
      );
    }
    return { applied, alreadyApplied: [...done.keys()] };
  } finally {
    await releaseLock(client, owner).catch((error: unknown) =>
      log.warn({ err: String(error) }, 'could not release the migration lock; it expires on its own'),
    );
  }
}

/** Applied versions → checksum; fails when a checked-in file no longer matches what was applied. */
async function appliedChecksums(client: Client, migrations: Migration[]): Promise<Map<number, string>> {
  let rows: { version: number; file: string; checksum: string }[];
  try {
    const result = await client.execute('SELECT version, file, checksum FROM schema_migrations');
    rows = result.rows.map((r) => ({
      version: r.get('version'),
      file: r.get('file'),
      checksum: r.get('checksum'),
    }));
  } catch (error) {
    throw translateCassandraError(error, { operation: 'read schema_migrations' });
  }
  const applied = new Map(rows.map((r) => [r.version, r.checksum]));
  for (const migration of migrations) {
    const checksum = applied.get(migration.version);
    if (checksum !== undefined && checksum !== migration.checksum) {
      throw new AdclickError(
        ErrorCodes.INTERNAL,
        `migration ${migration.file} was changed after it was applied (recorded checksum ${checksum.slice(0, 12)}…, ` +
          `file now ${migration.checksum.slice(0, 12)}…): restore it and put the change in a new migration`,
      );
    }
  }
  return applied;
}

async function acquireLock(
  client: Client,
  owner: string,
  options: MigrateOptions,
  log: Logger,
): Promise<void> {
  const ttl = options.lockTtlSeconds ?? 600;
  let holder = '';
  let announced = false;
  await waitFor(
    async () => {
      const result = await client.execute(
        `INSERT INTO schema_migrations_lock (id, owner, acquired_at) VALUES (?, ?, ?) IF NOT EXISTS USING TTL ${ttl}`,
        [LOCK_ID, owner, new Date()],
      );
      if (result.wasApplied()) return true;
      holder = String(result.first()?.get('owner') ?? 'unknown');
      if (!announced) log.info({ holder }, 'waiting for another migration run to finish');
      announced = true;
      return false;
    },
    { timeoutMs: options.lockWaitMs ?? 300_000, intervalMs: 250, description: 'the schema migration lock' },
  ).catch((error: unknown) => {
    throw translateCassandraError(
      error instanceof AdclickError && holder !== ''
        ? new AdclickError(ErrorCodes.TIMEOUT, `${error.message} (held by ${holder})`, {
            retryable: true,
            cause: error,
          })
        : error,
      { operation: 'take the migration lock' },
    );
  });
}

async function releaseLock(client: Client, owner: string): Promise<void> {
  await client.execute('DELETE FROM schema_migrations_lock WHERE id = ? IF owner = ?', [LOCK_ID, owner]);
}
