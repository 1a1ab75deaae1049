/** One Kafka message as the archiver sees it (no vendor types). */
export interface ArchiveMessage {
  partition: number;
  offset: bigint;
  key: string | null;
  value: Uint8Array | null;
  /** Kafka message timestamp, epoch ms. */
  timestampMs: number;
}

/**
 * The input of the archiver: a consumer group on `ad-clicks` (Kafka in production,
 * `KafkaArchiveSource`). Messages are handed over in partition order; offsets are committed only
 * when the archiver says so, after the upload.
 */
export interface ArchiveSource {
  /** Starts consuming; `onMessages` is awaited before more messages of that partition come. */
  start(handlers: {
    onMessages(partition: number, messages: readonly ArchiveMessage[]): Promise<void>;
    /** Partitions were reassigned: everything buffered and uncommitted will be read again. */
    onRebalance(): void;
  }): Promise<void>;
  /** Commits `nextOffset` (last archived offset + 1) of a partition. */
  commit(partition: number, nextOffset: bigint): Promise<void>;
  close(): Promise<void>;
  isReady(): boolean;
}

/** Counters of one archiver, for logs, metrics and tests. */
export interface ArchiverStats {
  messages: number;
  valid: number;
  rejected: number;
  objects: number;
  flushes: number;
}
