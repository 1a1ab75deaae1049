import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  CellWrite,
  ClosedMinute,
  MinuteCount,
  SpeedViewStore,
  TopList,
} from '../../../shared/aggregate-store/types.ts';
import { waitFor } from '../../../shared/async/wait-for.ts';
import { AdclickError, ErrorCodes } from '../../../shared/errors/errors.ts';
import { KafkaClickPublisher } from '../../../shared/kafka/kafka-click-publisher.ts';
import { silentLogger } from '../../../shared/logger/logger.ts';
import {
  CassandraSnapshotStore,
  type SnapshotStore,
  type StoredSnapshot,
} from '../../../speed-layer/aggregate/cassandra-snapshot-store.ts';
import { speedOptionsFrom } from '../../../speed-layer/options.ts';
import { CassandraGlobalTopLists } from '../../../speed-layer/reduce/cassandra-global-top-lists.ts';
import type { GlobalTopLists, PartitionTopList } from '../../../speed-layer/reduce/types.ts';
import { SpeedLayer } from '../../../speed-layer/speed-layer.ts';
import {
  endOffsets,
  expectViewMatches,
  openStore,
  produce,
  recountOf,
  type SpeedFixture,
  speedFixture,
  testStream,
} from './speed-fixture.ts';

/** Every write through it fails while `down` is set, as a stopped Cassandra would. */
class Outage {
  down = false;
  failures = 0;
  check(): void {
    if (this.down) {
      this.failures++;
      throw new AdclickError(ErrorCodes.UNAVAILABLE, 'Cassandra is down (injected)', { retryable: true });
    }
  }
}

describe('speed layer while Cassandra is unavailable', () => {
  let f: SpeedFixture;
  beforeAll(async () => {
    f = await speedFixture('outage');
  });
  afterAll(async () => {
    await f?.cleanup();
  });

  it('keeps consuming, retries its writes, and ends with exactly the recount', async () => {
    const records = testStream(44);
    const recount = recountOf(records);
    const real = await openStore(f.config);
    const outage = new Outage();
    const store: SpeedViewStore = Object.assign(Object.create(real) as SpeedViewStore, {
      upsertMinuteCounts: async (cells: readonly MinuteCount[]) => {
        outage.check();
        await real.upsertMinuteCounts(cells);
      },
      upsertCells: async (cells: CellWrite) => {
        outage.check();
        await real.upsertCells(cells);
      },
      markMinutesClosed: async (closed: readonly ClosedMinute[]) => {
        outage.check();
        await real.markMinutesClosed(closed);
      },
      upsertTopLists: async (lists: readonly TopList[]) => {
        outage.check();
        await real.upsertTopLists(lists);
      },
    });
    const realSnapshots = new CassandraSnapshotStore(f.keyspace.client);
    const snapshots: SnapshotStore = {
      load: (group, partition) => realSnapshots.load(group, partition),
      claim: (group, partition) => realSnapshots.claim(group, partition),
      loadMinutes: (group, partition, refs) => realSnapshots.loadMinutes(group, partition, refs),
      save: async (group, list: readonly StoredSnapshot[]) => {
        outage.check();
        return realSnapshots.save(group, list);
      },
    };
    const realTops = new CassandraGlobalTopLists(f.keyspace.client, f.config.aggregation.topN);
    const topLists: GlobalTopLists = {
      publish: async (lists: readonly PartitionTopList[]) => {
        outage.check();
        return realTops.publish(lists);
      },
    };
    const dlq = new KafkaClickPublisher(f.kafka, silentLogger());
    await dlq.start();
    const speed = new SpeedLayer(
      speedOptionsFrom(f.config, { groupId: f.groupId, metrics: undefined, flushIntervalMs: 200 }),
      { kafka: f.kafka, store, snapshots, topLists, dlq, logger: silentLogger() },
    );
    try {
      const half = Math.floor(records.length / 2);
      await produce(f, records.slice(0, half));
      await speed.start();
      await waitFor(() => speed.savedOffsets().size > 0, {
        timeoutMs: 60_000,
        description: 'a first snapshot',
      });
      outage.down = true;
      await produce(f, records.slice(half));
      await waitFor(() => outage.failures >= 10, { timeoutMs: 30_000, description: 'writes failing' });
      outage.down = false;
      const ends = endOffsets(records);
      await waitFor(() => [...ends].every(([p, end]) => speed.savedOffsets().get(p) === end), {
        timeoutMs: 60_000,
        description: 'the speed layer to catch up once Cassandra is back',
      });
      expect((await speed.metrics.flushFailures.get()).values[0]?.value).toBeGreaterThan(0);
      await expectViewMatches(real, records, recount, f.config);
    } finally {
      outage.down = false;
      await speed.close();
      await dlq.close();
      await real.close();
    }
  });
});
