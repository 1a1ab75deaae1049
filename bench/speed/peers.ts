import type { Batch, Kafka } from 'kafkajs';
import { waitFor } from '../../shared/async/wait-for.ts';
import type { AdclickConfig } from '../../shared/config/types.ts';
import { PartitionState } from '../../speed-layer/aggregate/partition-state.ts';
import { mapRecord } from '../../speed-layer/map/map-node.ts';
import { aggregateOptionsOf, speedOptionsFrom } from '../../speed-layer/options.ts';

/**
 * Read rates of the same topic by kafkajs consumers doing ever more of the speed layer's work in
 * this process, with nothing written anywhere. They show where the ratio to the bare consumer
 * goes: what reading the clicks at all costs (`parse`), and what the map and aggregate nodes cost
 * (`mapAggregate`); the rest of the gap to the speed layer is the write path (Cassandra on the
 * same cores), ranking and snapshots.
 */
export interface ConsumerPeers {
  /** eachBatch, counts the records only (SPEC C's peer). */
  bare: number;
  /** eachBatch, `JSON.parse` of every value and nothing else: a ceiling for any layer reading the clicks. */
  parse: number;
  /** eachBatch, the map node and the aggregate node (dedup, windows) in memory, nothing written. */
  mapAggregate: number;
}

/** Reads `records` records of `topic` from the beginning on a fresh group; records/s. */
export async function consumeAll(
  kafka: Kafka,
  topic: string,
  group: string,
  records: number,
  timeoutMs: number,
  work: (batch: Batch) => void = () => undefined,
): Promise<number> {
  const consumer = kafka.consumer({ groupId: group });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    let seen = 0;
    let first = 0;
    await consumer.run({
      eachBatch: async ({ batch }) => {
        if (first === 0) first = performance.now();
        work(batch);
        seen += batch.messages.length;
      },
    });
    await waitFor(() => seen >= records, { timeoutMs, intervalMs: 50, description: `consumer ${group}` });
    return records / ((performance.now() - first) / 1000);
  } finally {
    await consumer.disconnect();
  }
}

/** The three peers, one after the other, each on a group of its own (`<groupPrefix>-<peer>`). */
export async function measurePeers(
  kafka: Kafka,
  config: AdclickConfig,
  topic: string,
  partitions: number,
  groupPrefix: string,
  records: number,
  timeoutMs: number,
): Promise<ConsumerPeers> {
  const bare = await consumeAll(kafka, topic, `${groupPrefix}-bare`, records, timeoutMs);
  let parsed = 0;
  const parse = await consumeAll(kafka, topic, `${groupPrefix}-parse`, records, timeoutMs, (batch) => {
    for (const m of batch.messages) {
      try {
        if (m.value !== null && JSON.parse(m.value.toString()) !== null) parsed++;
      } catch {
        // a malformed record: read, as the map node would before rejecting it
      }
    }
  });
  const options = speedOptionsFrom(config);
  const aggregate = aggregateOptionsOf(options);
  const states = new Map<number, PartitionState>();
  const mapAggregate = await consumeAll(kafka, topic, `${groupPrefix}-map`, records, timeoutMs, (batch) => {
    let state = states.get(batch.partition);
    if (state === undefined) {
      state = new PartitionState(batch.partition, aggregate);
      states.set(batch.partition, state);
    }
    const now = Date.now();
    for (const m of batch.messages) {
      const record = {
        topic: batch.topic,
        partition: batch.partition,
        offset: m.offset,
        key: m.key,
        value: m.value,
      };
      const mapped = mapRecord(record, partitions);
      // A mis-keyed click would be produced again to its ad's partition: not counted here.
      if (mapped.kind === 'click' && !(mapped.misKeyed && options.rekey)) state.add(mapped.event, now);
    }
  });
  if (parsed === 0) throw new Error('the parse peer read no JSON value');
  return { bare, parse, mapAggregate };
}
