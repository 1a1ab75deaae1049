import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../../shared/async/wait-for.ts';
import { KafkaClickPublisher } from '../../../shared/kafka/kafka-click-publisher.ts';
import { silentLogger } from '../../../shared/logger/logger.ts';
import { CassandraSnapshotStore } from '../../../speed-layer/aggregate/cassandra-snapshot-store.ts';
import { speedOptionsFrom } from '../../../speed-layer/options.ts';
import { SpeedLayer } from '../../../speed-layer/speed-layer.ts';
import {
  endOffsets,
  expectViewMatches,
  openStore,
  produce,
  readDeadLetters,
  recountOf,
  type SpeedFixture,
  speedFixture,
  testStream,
} from './speed-fixture.ts';

describe('speed layer against Kafka and Cassandra', () => {
  let f: SpeedFixture;
  beforeAll(async () => {
    f = await speedFixture('exact');
  });
  afterAll(async () => {
    await f?.cleanup();
  });

  it('writes exactly the recount: cells, top lists, late clicks; malformed records in the DLQ', async () => {
    const records = testStream(21);
    const recount = recountOf(records);
    const store = await openStore(f.config);
    const dlq = new KafkaClickPublisher(f.kafka, silentLogger());
    await dlq.start();
    const speed = new SpeedLayer(
      speedOptionsFrom(f.config, { groupId: f.groupId, metrics: undefined, flushIntervalMs: 200 }),
      {
        kafka: f.kafka,
        store,
        snapshots: new CassandraSnapshotStore(f.keyspace.client),
        dlq,
        logger: silentLogger(),
      },
    );
    try {
      // Half before the start, half while it runs.
      const half = Math.floor(records.length / 2);
      await produce(f, records.slice(0, half));
      await speed.start();
      await produce(f, records.slice(half));
      const ends = endOffsets(records);
      const started = Date.now();
      await waitFor(() => [...ends].every(([p, end]) => speed.savedOffsets().get(p) === end), {
        timeoutMs: 60_000,
        description: 'the speed layer to snapshot every partition at its end offset',
      });
      console.log(
        `speed layer caught up ${records.length} records ${Date.now() - started} ms after the last produce`,
      );
      await expectViewMatches(store, records, recount, f.config);
      const late = (await speed.metrics.late.get()).values[0]?.value ?? 0;
      expect(late).toBe(recount.late.size);
      expect(recount.late.size).toBeGreaterThan(10);
      // Each partition's ad id table holds some of its own ads, never more than it was sent.
      const sent = new Map<string, Set<string>>();
      for (const r of records) {
        if (r.event === undefined) continue;
        const ads = sent.get(String(r.partition)) ?? new Set<string>();
        sent.set(String(r.partition), ads.add(r.event.adId));
      }
      const tables = (await speed.metrics.adIds.get()).values;
      expect(tables.map((v) => v.labels.partition).sort()).toEqual([...sent.keys()].sort());
      for (const v of tables) {
        expect(v.value).toBeGreaterThan(0);
        expect(v.value).toBeLessThanOrEqual(sent.get(String(v.labels.partition))!.size);
      }

      const malformed = records.map((r, i) => ({ r, i })).filter(({ r }) => r.kind === 'malformed');
      expect(malformed.length).toBeGreaterThan(10);
      const letters = await readDeadLetters(f, malformed.length);
      expect(letters).toHaveLength(malformed.length);
      for (const l of letters) {
        expect(typeof l.reason).toBe('string');
        expect(l.topic).toBe(f.topic);
        const p = l.partition as number;
        const offset = Number(l.offset);
        // The record at that partition/offset is the malformed one whose bytes the letter carries.
        const inPartition = records.filter((r) => r.partition === p);
        expect(inPartition[offset]?.kind).toBe('malformed');
        expect(l.original).toBe(inPartition[offset]?.value);
      }
    } finally {
      await speed.close();
      await dlq.close();
      await store.close();
    }
  });
});
