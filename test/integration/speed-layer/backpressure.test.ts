import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CellWrite, SpeedViewStore } from '../../../shared/aggregate-store/types.ts';
import { waitFor } from '../../../shared/async/wait-for.ts';
import { KafkaClickPublisher } from '../../../shared/kafka/kafka-click-publisher.ts';
import { silentLogger } from '../../../shared/logger/logger.ts';
import { CassandraSnapshotStore } from '../../../speed-layer/aggregate/cassandra-snapshot-store.ts';
import { speedOptionsFrom } from '../../../speed-layer/options.ts';
import { CassandraGlobalTopLists } from '../../../speed-layer/reduce/cassandra-global-top-lists.ts';
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

/** Bound of the test: far below the stream's distinct cells, so the store cannot keep up. */
const MAX_PENDING_ROWS = 400;
/** Records between two checks of the gate (speed-layer.ts) × slices per click (all + country). */
const OVERSHOOT = 500 * 2;

describe('speed layer backpressure', () => {
  let f: SpeedFixture;
  beforeAll(async () => {
    f = await speedFixture('backpressure');
  });
  afterAll(async () => {
    await f?.cleanup();
  });

  it('stops fetching while cell writes are slow, stays within its bound, and ends with the recount', async () => {
    const records = testStream(45);
    const recount = recountOf(records);
    const real = await openStore(f.config);
    // Fault injection: every cell write of the real store takes 300 ms longer.
    const writes: number[] = [];
    const store: SpeedViewStore = Object.assign(Object.create(real) as SpeedViewStore, {
      upsertCells: async (cells: CellWrite) => {
        // Cells of a closing minute are planned all at once, whatever the input rate: not bounded.
        writes.push(cells.changed.length);
        await new Promise((resolve) => setTimeout(resolve, 300));
        await real.upsertCells(cells);
      },
      // Private fields of the real store need it as receiver.
      markMinutesClosed: real.markMinutesClosed.bind(real),
      upsertTopLists: real.upsertTopLists.bind(real),
    });
    const dlq = new KafkaClickPublisher(f.kafka, silentLogger());
    await dlq.start();
    const speed = new SpeedLayer(
      speedOptionsFrom(f.config, {
        groupId: f.groupId,
        metrics: undefined,
        flushIntervalMs: 100,
        topListIntervalMs: 100,
        snapshotIntervalMs: 100,
        maxPendingRows: MAX_PENDING_ROWS,
      }),
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
      await produce(f, records);
      await speed.start();
      const ends = endOffsets(records);
      await waitFor(() => [...ends].every(([p, end]) => speed.savedOffsets().get(p) === end), {
        timeoutMs: 120_000,
        description: 'the speed layer to consume the whole stream',
      });
      const pauses = (await speed.metrics.backpressurePauses.get()).values[0]?.value ?? 0;
      expect(pauses).toBeGreaterThan(0);
      expect(speed.backpressure()).toEqual({ paused: false, pauses });
      expect((await speed.metrics.backpressurePaused.get()).values[0]?.value).toBe(0);
      // A write carries every cell pending when it started, so none may exceed the bound by more
      // than what one chunk of records adds before the gate is checked again.
      expect(Math.max(...writes)).toBeLessThanOrEqual(MAX_PENDING_ROWS + OVERSHOOT);
      await expectViewMatches(real, records, recount, f.config);
    } finally {
      await speed.close();
      await dlq.close();
      await real.close();
    }
  });
});
