export { connectCassandraClient, createCassandraClient } from './client.ts';
export { type CassandraErrorContext, translateCassandraError } from './errors.ts';
export { assertKeyspaceName, DDL_TIMEOUT_MS, dropKeyspace, ensureKeyspace } from './keyspace.ts';
export { type MigrateOptions, type MigrateResult, migrate } from './migrate.ts';
export { loadMigrations, MIGRATIONS_DIR, type Migration, splitStatements } from './migrations.ts';
export {
  CASSANDRA_DEFAULTS,
  type CassandraConsistency,
  type CassandraOptions,
  cassandraOptionsFrom,
} from './options.ts';
