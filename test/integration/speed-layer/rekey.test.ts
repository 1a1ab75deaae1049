import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../../shared/async/wait-for.ts';
import { generateAll } from '../../../shared/generator/generator.ts';
import { KafkaClickPublisher } from '../../../shared/kafka/kafka-click-publisher.ts';
import { silentLogger } from '../../../shared/logger/logger.ts';
import { CassandraSnapshotStore } from '../../../speed-layer/aggregate/cassandra-snapshot-store.ts';
import { speedOptionsFrom } from '../../../speed-layer/options.ts';
import { CassandraGlobalTopLists } from '../../../speed-layer/reduce/cassandra-global-top-lists.ts';
import { SpeedLayer } from '../../../speed-layer/speed-layer.ts';
import { recountAll } from '../../helpers/recount.ts';
import {
  expectViewMatches,
  openStore,
  PARTITIONS,
  type SpeedFixture,
  speedFixture,
} from './speed-fixture.ts';

describe('speed layer: records not keyed by ad_id', () => {
  let f: SpeedFixture;
  beforeAll(async () => {
    f = await speedFixture('rekey');
  });
  afterAll(async () => {
    await f?.cleanup();
  });

  it('produces a mis-keyed click again to its ad partition and counts it once, there', async () => {
    // Ten seconds of event time, in order within the lateness: nothing is late, wherever it lands.
    const records = generateAll({
      seed: 5,
      clicks: 1500,
      startMs: Date.UTC(2026, 0, 1, 12, 0, 20),
      ads: 40,
      countries: ['US', 'KR', 'DE'],
      clicksPerSecond: 150,
      outOfOrderMs: 2000,
      lateFraction: 0,
      malformedFraction: 0,
      partitions: PARTITIONS,
      adPrefix: 'rk-',
    });
    const expected = recountAll(records);
    const store = await openStore(f.config);
    const dlq = new KafkaClickPublisher(f.kafka, silentLogger());
    await dlq.start();
    const speed = new SpeedLayer(
      speedOptionsFrom(f.config, { groupId: f.groupId, metrics: undefined, flushIntervalMs: 200 }),
      {
        kafka: f.kafka,
        store,
        snapshots: new CassandraSnapshotStore(f.keyspace.client),
        topLists: new CassandraGlobalTopLists(f.keyspace.client, f.config.aggregation.topN),
        dlq,
        logger: silentLogger(),
      },
    );
    try {
      // Everything into partition 0, as a producer that ignores the key would.
      await f.publisher.publish(
        f.topic,
        records.map((r) => ({ key: null, value: r.value, partition: 0 })),
      );
      await speed.start();
      const misKeyed = records.filter((r) => r.partition !== 0).length;
      await waitFor(
        async () => {
          const counted = (await speed.metrics.eventsIn.get()).values
            .filter((v) => v.labels.outcome === 'counted' || v.labels.outcome === 'duplicate')
            .reduce((s, v) => s + v.value, 0);
          return counted === records.length && speed.savedOffsets().get(0) === String(records.length);
        },
        { timeoutMs: 60_000, description: 'every click counted (once re-keyed, for most of them)' },
      );
      await speed.flush();
      expect((await speed.metrics.misKeyed.get()).values[0]?.value).toBe(misKeyed);
      await expectViewMatches(store, records, expected, f.config);
    } finally {
      await speed.close();
      await dlq.close();
      await store.close();
    }
  });
});
