import type { Batch, KafkaMessage } from 'kafkajs';
import { sleep } from '../../shared/async/wait-for.ts';
import type { ClickEvent } from '../../shared/click-event/types.ts';
import type { ClickPublisher, OutgoingRecord } from '../../shared/click-publisher/types.ts';
import { isRetryable } from '../../shared/errors/errors.ts';
import type { Logger } from '../../shared/logger/logger.ts';
import { partitionForKey } from '../../shared/partitioning/partition-for-key.ts';
import type { PartitionState } from '../aggregate/partition-state.ts';
import { mapRecord } from '../map/map-node.ts';
import type { SpeedMetrics } from '../metrics/speed-metrics.ts';

/** What consuming records needs from the speed layer. */
export interface ConsumeContext {
  topic: string;
  dlqTopic: string;
  /** Partitions of the click topic (re-keying hashes an ad to one of them). */
  partitionCount: () => number;
  rekey: boolean;
  /** Producer of dead letters and re-keyed clicks (acks=all). */
  dlq: ClickPublisher;
  metrics: SpeedMetrics;
  logger: Logger;
}

/**
 * Maps and counts records of one partition from its next offset on (map node, then aggregate
 * node); returns the offset of the last record consumed, or `undefined` when every record was
 * already counted. Dead letters and re-keyed clicks are acknowledged by Kafka before the state's
 * next offset moves past them, so no snapshot can skip one; a replay may send them twice (a
 * re-keyed duplicate is dropped by click_id).
 */
export async function consumeRecords(
  ctx: ConsumeContext,
  state: PartitionState,
  batch: Batch,
  messages: readonly KafkaMessage[],
  isRunning: () => boolean,
): Promise<string | undefined> {
  const { metrics } = ctx;
  const partition = batch.partition;
  const partitionCount = ctx.partitionCount();
  const next = BigInt(state.nextOffset);
  const clicks: ClickEvent[] = [];
  const deadLetters: OutgoingRecord[] = [];
  const rekeyed: OutgoingRecord[] = [];
  let lastOffset: string | undefined;
  // Offsets increase within a batch: once one is at or past the snapshot's, the rest are too.
  let caughtUp = false;
  for (const message of messages) {
    if (!caughtUp) {
      if (BigInt(message.offset) < next) continue;
      caughtUp = true;
    }
    lastOffset = message.offset;
    const mapped = mapRecord(
      { topic: batch.topic, partition, offset: message.offset, key: message.key, value: message.value },
      partitionCount,
    );
    if (mapped.kind === 'rejected') deadLetters.push(mapped.record);
    else if (mapped.misKeyed && ctx.rekey) {
      // Re-keyed: produced again to the partition its ad hashes to, counted there, not here.
      metrics.misKeyed.inc();
      rekeyed.push({
        key: mapped.event.adId,
        value: message.value ?? '',
        partition: partitionForKey(mapped.event.adId, partitionCount),
      });
    } else {
      if (mapped.misKeyed) metrics.misKeyed.inc();
      clicks.push(mapped.event);
    }
  }
  if (lastOffset === undefined) return undefined;
  await publishWithRetry(ctx, ctx.dlqTopic, deadLetters, isRunning);
  await publishWithRetry(ctx, ctx.topic, rekeyed, isRunning);
  metrics.eventsIn.inc({ outcome: 'rekeyed' }, rekeyed.length);
  const now = Date.now();
  // Tallied here and added to the metrics once per chunk: per-click increments cost more than the
  // aggregation itself.
  const outcomes = { counted: 0, duplicate: 0, late: 0 };
  for (const event of clicks) outcomes[state.add(event, now)]++;
  for (const [outcome, n] of Object.entries(outcomes)) if (n > 0) metrics.eventsIn.inc({ outcome }, n);
  if (outcomes.late > 0) metrics.late.inc(outcomes.late);
  if (outcomes.duplicate > 0) metrics.duplicates.inc(outcomes.duplicate);
  metrics.eventsIn.inc({ outcome: 'rejected' }, deadLetters.length);
  metrics.dlq.inc(deadLetters.length);
  state.nextOffset = (BigInt(lastOffset) + 1n).toString();
  return lastOffset;
}

/** Produces records, retrying retryable failures while the consumer runs. */
async function publishWithRetry(
  ctx: ConsumeContext,
  topic: string,
  records: OutgoingRecord[],
  isRunning: () => boolean,
): Promise<void> {
  if (records.length === 0) return;
  for (let attempt = 1; ; attempt++) {
    try {
      await ctx.dlq.publish(topic, records);
      return;
    } catch (error) {
      if (!isRetryable(error) || !isRunning()) throw error;
      ctx.logger.warn({ err: String(error), attempt, topic }, 'cannot produce to Kafka; retrying');
      await sleep(Math.min(5000, 200 * attempt));
    }
  }
}
