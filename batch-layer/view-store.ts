import { CassandraBatchViewStore } from '../shared/aggregate-store/cassandra-batch-view-store.ts';
import type { BatchViewStore } from '../shared/aggregate-store/types.ts';
import { connectCassandraClient } from '../shared/cassandra/client.ts';
import { migrate } from '../shared/cassandra/migrate.ts';
import { cassandraOptionsFrom } from '../shared/cassandra/options.ts';
import type { AdclickConfig } from '../shared/config/types.ts';
import type { Logger } from '../shared/logger/logger.ts';

/**
 * Opens (starts) the Cassandra batch view of `config.cassandra.keyspace`, first applying pending
 * migrations: the batch tables (e.g. the hour-version log) may be newer than the keyspace that
 * `adclick up` created, and a replay may be the first command run after an upgrade.
 */
export async function openBatchViewStore(config: AdclickConfig, logger: Logger): Promise<BatchViewStore> {
  const client = await connectCassandraClient(
    cassandraOptionsFrom(config, { applicationName: 'adclick-batch-migrate' }),
    logger,
  );
  try {
    await migrate(client, config.cassandra.keyspace, logger);
  } finally {
    await client.shutdown();
  }
  const store = new CassandraBatchViewStore(config, logger);
  await store.start();
  return store;
}
