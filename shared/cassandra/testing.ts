import { randomBytes } from 'node:crypto';
import type { Client } from 'cassandra-driver';
import type { AdclickConfig } from '../config/types.ts';
import { AdclickError, ErrorCodes } from '../errors/errors.ts';
import { type Logger, silentLogger } from '../logger/logger.ts';
import { connectCassandraClient } from './client.ts';
import { dropKeyspace, ensureKeyspace } from './keyspace.ts';
import { migrate } from './migrate.ts';
import { type CassandraOptions, cassandraOptionsFrom } from './options.ts';

export interface TestKeyspaceOptions {
  /** Where Cassandra is (tests pass `loadConfig(process.env)`). */
  config: AdclickConfig;
  /** Part of the keyspace name, to tell whose keyspace a leftover is (e.g. `speed`). */
  prefix?: string;
  logger?: Logger;
  /** Apply the migrations (default true). */
  migrate?: boolean;
  /** Registers `drop()` with the test runner, e.g. vitest's `onTestFinished` or `afterAll`. */
  registerCleanup?: (cleanup: () => Promise<void>) => void;
}

export interface TestKeyspace {
  /** A fresh, unique keyspace with every migration applied. */
  keyspace: string;
  /** Connected, with `keyspace` as its session keyspace. Shut down by `drop()`. */
  client: Client;
  /** Options for more clients of this keyspace (e.g. the adapter under test). */
  options: CassandraOptions;
  /** Drops the keyspace and shuts the client down; safe to call twice. */
  drop(): Promise<void>;
}

/** A keyspace name no other test run uses: `t_<prefix>_<time>_<random>`, at most 48 characters. */
export function uniqueKeyspaceName(prefix = 'test'): string {
  const clean = prefix
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_')
    .slice(0, 20);
  return `t_${clean}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

/**
 * Creates a unique keyspace (replication factor 1) on the configured Cassandra, migrates it, and
 * returns a client bound to it. Fails with a message naming Cassandra and how to start it when
 * the cluster is not reachable, so a test without its service fails rather than skips.
 */
export async function createTestKeyspace(options: TestKeyspaceOptions): Promise<TestKeyspace> {
  const keyspace = uniqueKeyspaceName(options.prefix);
  const logger = options.logger ?? silentLogger();
  const base = cassandraOptionsFrom(options.config, { keyspace: undefined, applicationName: 'adclick-test' });
  let client: Client;
  try {
    client = await connectCassandraClient(base, logger);
  } catch (error) {
    throw new AdclickError(
      ErrorCodes.UNAVAILABLE,
      `Cassandra is not reachable at ${base.contactPoints.join(', ')}: start it with \`npm run up\` ` +
        `(or point CASSANDRA_CONTACT_POINTS at yours). ${error instanceof Error ? error.message : ''}`,
      { retryable: true, cause: error },
    );
  }
  let dropped = false;
  const drop = async () => {
    if (dropped) return;
    dropped = true;
    try {
      await dropKeyspace(client, keyspace);
    } finally {
      await client.shutdown().catch(() => undefined);
    }
  };
  options.registerCleanup?.(drop);
  try {
    await ensureKeyspace(client, keyspace, 1);
    if (options.migrate ?? true) await migrate(client, keyspace, logger);
    else await client.execute(`USE ${keyspace}`, [], { prepare: false });
  } catch (error) {
    await drop().catch(() => undefined);
    throw error;
  }
  return { keyspace, client, options: { ...base, keyspace }, drop };
}
