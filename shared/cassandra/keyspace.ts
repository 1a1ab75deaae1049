import type { Client } from 'cassandra-driver';
import { AdclickError, ErrorCodes } from '../errors/errors.ts';
import { translateCassandraError } from './errors.ts';

/** Schema changes wait for every node to agree on the new schema; that can take a while. */
export const DDL_TIMEOUT_MS = 60_000;

/** Fails unless `keyspace` is a plain CQL identifier (it is spliced into DDL, never quoted user input). */
export function assertKeyspaceName(keyspace: string): void {
  if (!/^[a-z][a-z0-9_]{0,47}$/.test(keyspace)) {
    throw new AdclickError(
      ErrorCodes.CONFIG_INVALID,
      `cassandra.keyspace: expected lower-case letters, digits and _ (max 48), got "${keyspace}"`,
    );
  }
}

/**
 * Creates `keyspace` (SimpleStrategy, `replicationFactor` copies) unless it exists. An existing
 * keyspace is left as it is: changing replication is an operator's decision (and a repair).
 */
export async function ensureKeyspace(
  client: Client,
  keyspace: string,
  replicationFactor: number,
): Promise<void> {
  assertKeyspaceName(keyspace);
  if (!Number.isInteger(replicationFactor) || replicationFactor < 1) {
    throw new AdclickError(
      ErrorCodes.CONFIG_INVALID,
      `cassandra.replicationFactor: expected >= 1, got ${replicationFactor}`,
    );
  }
  try {
    await client.execute(
      `CREATE KEYSPACE IF NOT EXISTS ${keyspace} WITH replication = ` +
        `{'class': 'SimpleStrategy', 'replication_factor': ${replicationFactor}} AND durable_writes = true`,
      [],
      { prepare: false, readTimeout: DDL_TIMEOUT_MS },
    );
  } catch (error) {
    throw translateCassandraError(error, { operation: `create keyspace ${keyspace}` });
  }
}

/** Drops `keyspace` and everything in it (tests' cleanup; never called by the running system). */
export async function dropKeyspace(client: Client, keyspace: string): Promise<void> {
  assertKeyspaceName(keyspace);
  try {
    await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`, [], {
      prepare: false,
      readTimeout: DDL_TIMEOUT_MS,
    });
  } catch (error) {
    throw translateCassandraError(error, { operation: `drop keyspace ${keyspace}` });
  }
}
