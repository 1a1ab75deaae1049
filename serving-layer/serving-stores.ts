import type { BatchViewStore, SpeedViewStore } from '../shared/aggregate-store/types.ts';
import { connectCassandraClient } from '../shared/cassandra/client.ts';
import { cassandraOptionsFrom } from '../shared/cassandra/options.ts';
import type { AdclickConfig } from '../shared/config/types.ts';
import { AdclickError, ErrorCodes } from '../shared/errors/errors.ts';
import type { Logger } from '../shared/logger/logger.ts';
import { s3OptionsFrom } from '../shared/s3/options.ts';
import { S3ObjectStore } from '../shared/s3/s3-object-store.ts';
import type { ServingStores } from './serving-layer.ts';

/** Started stores plus one `close()` that releases all of them. */
export interface OpenedServingStores extends ServingStores {
  close(): Promise<void>;
}

type ViewStoreClass<T> = new (config: AdclickConfig, logger: Logger) => T;

async function loadViewStore<T>(file: string, exportName: string): Promise<ViewStoreClass<T>> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(`../shared/aggregate-store/${file}`)) as Record<string, unknown>;
  } catch (error) {
    throw new AdclickError(
      ErrorCodes.NOT_FOUND,
      `the view store shared/aggregate-store/${file} is not available`,
      { cause: error },
    );
  }
  const ctor = mod[exportName];
  if (typeof ctor !== 'function')
    throw new AdclickError(ErrorCodes.INTERNAL, `shared/aggregate-store/${file} exports no ${exportName}`);
  return ctor as ViewStoreClass<T>;
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
    const Speed = await loadViewStore<SpeedViewStore>(
      'cassandra-speed-view-store.ts',
      'CassandraSpeedViewStore',
    );
    const Batch = await loadViewStore<BatchViewStore>(
      'cassandra-batch-view-store.ts',
      'CassandraBatchViewStore',
    );
    const cassandra = await connectCassandraClient(
      cassandraOptionsFrom(config, { applicationName: 'adclick-serving' }),
      logger,
    );
    opened.push(() => cassandra.shutdown());
    const speed = new Speed(config, logger);
    await speed.start();
    opened.push(() => speed.close());
    const batch = new Batch(config, logger);
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
