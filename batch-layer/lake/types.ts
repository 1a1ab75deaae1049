/** One raw click as the lake stores it (SPEC A4); `timestampMs` is event time, epoch ms UTC. */
export interface RawClickRow {
  clickId: string;
  adId: string;
  timestampMs: number;
  userId: string;
  ip: string;
  country: string;
  kafkaPartition: number;
  kafkaOffset: bigint;
}

/** A record that failed validation, kept under `rejected/` with the reason and its original bytes. */
export interface RejectedRow {
  kafkaPartition: number;
  kafkaOffset: bigint;
  /** Kafka message timestamp (ingest time, epoch ms): the only time a malformed record has. */
  kafkaTimestampMs: number;
  key: string | null;
  reason: string;
  raw: Uint8Array;
}

/** What an object name under `raw/` or `rejected/` says about its content. */
export interface LakeObjectName {
  kind: 'raw' | 'rejected';
  /** Hour start (epoch ms UTC) of the `dt=/hour=` partition. */
  hour: number;
  partition: number;
  firstOffset: bigint;
  lastOffset: bigint;
}
