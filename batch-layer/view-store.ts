import type { BatchViewStore } from '../shared/aggregate-store/types.ts';
import type { AdclickConfig } from '../shared/config/types.ts';
import { AdclickError, ErrorCodes } from '../shared/errors/errors.ts';
import type { Logger } from '../shared/logger/logger.ts';

/**
 * Opens the Cassandra batch view (`CassandraBatchViewStore`). Loaded lazily so the archiver runs
 * without it; until that adapter exists this fails with a message saying so instead of pretending.
 */
export async function openBatchViewStore(config: AdclickConfig, logger: Logger): Promise<BatchViewStore> {
  const path = '../shared/aggregate-store/cassandra-batch-view-store.ts';
  let mod: { CassandraBatchViewStore?: new (config: AdclickConfig, logger: Logger) => BatchViewStore };
  try {
    mod = (await import(path)) as typeof mod;
  } catch (error) {
    throw new AdclickError(
      ErrorCodes.NOT_FOUND,
      'the Cassandra batch view store (shared/aggregate-store/cassandra-batch-view-store.ts) is not available yet',
      { cause: error },
    );
  }
  if (mod.CassandraBatchViewStore === undefined)
    throw new AdclickError(
      ErrorCodes.INTERNAL,
      'cassandra-batch-view-store.ts exports no CassandraBatchViewStore',
    );
  const store = new mod.CassandraBatchViewStore(config, logger);
  await store.start();
  return store;
}
