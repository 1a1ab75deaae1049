import type { Lifecycle } from '../lifecycle/types.ts';

/** One record to append to a topic. */
export interface OutgoingRecord {
  /** Partitioning key (the `ad_id` for clicks); `null` lets the client spread records. */
  key: string | null;
  value: string | Uint8Array;
  /** Explicit partition; otherwise Kafka's default partitioner picks it from the key. */
  partition?: number;
  headers?: Record<string, string>;
}

/**
 * Appends records to the click log (Kafka in production, `KafkaClickPublisher`). `publish`
 * resolves only once every record is durably acknowledged (acks=all), so a caller that answers a
 * client after it can promise the click will be counted.
 */
export interface ClickPublisher extends Lifecycle {
  /**
   * @throws AdclickError `UNAVAILABLE` (retryable) when the log cannot take the records now,
   * including when more than the allowed bytes are already waiting for acknowledgement.
   */
  publish(topic: string, records: readonly OutgoingRecord[]): Promise<void>;
  /** Bytes handed to `publish` and not yet acknowledged (for backpressure and metrics). */
  pendingBytes(): number;
}
