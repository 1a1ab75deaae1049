import { CassandraBatchViewStore } from '../shared/aggregate-store/cassandra-batch-view-store.ts';
import { CassandraSpeedViewStore } from '../shared/aggregate-store/cassandra-speed-view-store.ts';
import { connectCassandraClient } from '../shared/cassandra/client.ts';
import { migrate } from '../shared/cassandra/migrate.ts';
import { cassandraOptionsFrom } from '../shared/cassandra/options.ts';
import type { AdclickConfig } from '../shared/config/types.ts';
import type { Logger } from '../shared/logger/logger.ts';
import { s3OptionsFrom } from '../shared/s3/options.ts';
import { S3ObjectStore } from '../shared/s3/s3-object-store.ts';
import type { ServingStores } from './serving-layer.ts';

/** Started stores plus one `close()` that releases all of them. */
export interface OpenedServingStores extends ServingStores {
  close(): Promise<void>;
}

/**
 * Connects everything the serving layer reads: both Cassandra views, a Cassandra client for the
 * reconciliation reports, and the object store. On a failure, what was already opened is closed.
 */
export async function openServingStores(config: AdclickConfig, logger: Logger): Promise<OpenedServingStores> {
  const opened: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const c of opened.reverse()) await c().catch(() => undefined);
    opened.length = 0;
  };
  try {
    const cassandra = await connectCassandraClient(
      cassandraOptionsFrom(config, { applicationName: 'adclick-serving' }),
      logger,
    );
    opened.push(() => cassandra.shutdown());
    // The reports table (migration 030) may be newer than the keyspace `adclick up` created.
    await migrate(cassandra, config.cassandra.keyspace, logger);
    const speed = new CassandraSpeedViewStore(config, logger);
    await speed.start();
    opened.push(() => speed.close());
    const batch = new CassandraBatchViewStore(config, logger);
    await batch.start();
    opened.push(() => batch.close());
    const objects = new S3ObjectStore(s3OptionsFrom(config), logger);
    await objects.start();
    opened.push(() => objects.close());
    return { speed, batch, cassandra, objects, close };
  } catch (error) {
    await close();
    throw error;
  }
}
