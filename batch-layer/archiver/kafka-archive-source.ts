import { type Consumer, Kafka, logLevel } from 'kafkajs';
import { AdclickError, ErrorCodes } from '../../shared/errors/errors.ts';
import type { Logger } from '../../shared/logger/logger.ts';
import type { ArchiveMessage, ArchiveSource } from './types.ts';

export interface KafkaArchiveSourceOptions {
  brokers: string[];
  clientId: string;
  topic: string;
  /** The archiver's own consumer group (default `adclick-archiver`). */
  groupId?: string;
  /** Where a group without committed offsets starts (default: the beginning, so nothing is skipped). */
  fromBeginning?: boolean;
  /**
   * Group session timeout (default 30 s): how long a crashed archiver keeps its partitions before
   * the group hands them to another member.
   */
  sessionTimeoutMs?: number;
  logger: Logger;
}

/**
 * The archiver's consumer group on `ad-clicks` (kafkajs). Offsets are never auto-committed: the
 * archiver commits each partition after its upload. While the archiver works on a batch the
 * source keeps heartbeating, so a slow upload does not cost the group its partitions.
 */
export class KafkaArchiveSource implements ArchiveSource {
  private consumer: Consumer | undefined;
  private running = false;

  constructor(private readonly options: KafkaArchiveSourceOptions) {}

  async start(handlers: Parameters<ArchiveSource['start']>[0]): Promise<void> {
    const { options } = this;
    const kafka = new Kafka({
      clientId: options.clientId,
      brokers: options.brokers,
      logLevel: logLevel.NOTHING,
      retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 10_000 },
    });
    const heartbeatMs = Math.min(3_000, Math.floor((options.sessionTimeoutMs ?? 30_000) / 3));
    const consumer = kafka.consumer({
      groupId: options.groupId ?? 'adclick-archiver',
      sessionTimeout: options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: heartbeatMs,
      maxBytesPerPartition: 4 * 1024 * 1024,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, () => handlers.onRebalance());
    consumer.on(consumer.events.CRASH, (event) => {
      options.logger.error(
        { err: String(event.payload.error), restart: event.payload.restart },
        'archiver consumer crashed',
      );
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topic: options.topic, fromBeginning: options.fromBeginning ?? true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: 4,
        eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
          if (batch.messages.length === 0 || !isRunning() || isStale()) return;
          const messages: ArchiveMessage[] = batch.messages.map((m) => ({
            partition: batch.partition,
            offset: BigInt(m.offset),
            key: m.key === null ? null : m.key.toString('utf8'),
            value: m.value,
            timestampMs: Number(m.timestamp),
          }));
          const beat = setInterval(() => void heartbeat().catch(() => undefined), heartbeatMs);
          try {
            await handlers.onMessages(batch.partition, messages);
          } finally {
            clearInterval(beat);
          }
          // Resolving moves the fetch position only; the commit comes after the upload.
          resolveOffset(batch.lastOffset());
        },
      });
      this.running = true;
    } catch (error) {
      throw kafkaError(error, 'starting the archiver consumer');
    }
  }

  async commit(partition: number, nextOffset: bigint): Promise<void> {
    if (this.consumer === undefined)
      throw new AdclickError(ErrorCodes.NOT_STARTED, 'archive source not started');
    try {
      await this.consumer.commitOffsets([
        { topic: this.options.topic, partition, offset: nextOffset.toString() },
      ]);
    } catch (error) {
      throw kafkaError(error, `committing partition ${partition}`);
    }
  }

  isReady(): boolean {
    return this.running;
  }

  async close(): Promise<void> {
    this.running = false;
    const consumer = this.consumer;
    this.consumer = undefined;
    await consumer?.disconnect().catch(() => undefined);
  }
}

function kafkaError(error: unknown, doing: string): AdclickError {
  const message = error instanceof Error ? error.message : String(error);
  const retryable = (error as { retriable?: boolean }).retriable ?? true;
  return new AdclickError(ErrorCodes.UNAVAILABLE, `Kafka failed ${doing}: ${message}`, {
    cause: error,
    retryable,
  });
}
