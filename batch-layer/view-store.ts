import { CassandraBatchViewStore } from '../shared/aggregate-store/cassandra-batch-view-store.ts';
import type { BatchViewStore } from '../shared/aggregate-store/types.ts';
import type { AdclickConfig } from '../shared/config/types.ts';
import type { Logger } from '../shared/logger/logger.ts';

/** Opens (starts) the Cassandra batch view of `config.cassandra.keyspace`. */
export async function openBatchViewStore(config: AdclickConfig, logger: Logger): Promise<BatchViewStore> {
  const store = new CassandraBatchViewStore(config, logger);
  await store.start();
  return store;
}
