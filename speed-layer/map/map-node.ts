import { parseClick } from '../../shared/click-event/click-event.ts';
import type { ClickEvent } from '../../shared/click-event/types.ts';
import type { OutgoingRecord } from '../../shared/click-publisher/types.ts';
import { partitionForKey } from '../../shared/partitioning/partition-for-key.ts';

/** One consumed record, as the map node needs it (no kafkajs types here). */
export interface ConsumedRecord {
  topic: string;
  partition: number;
  offset: string;
  key: Uint8Array | null;
  value: Uint8Array | null;
}

/** The body of a dead-letter record (SPEC A1: reason, original bytes, source partition/offset). */
export interface DeadLetter {
  reason: string;
  /** The offending field, or `null` when the event as a whole is unreadable. */
  field: string | null;
  topic: string;
  partition: number;
  offset: string;
  /** The original value: as text when it is valid UTF-8, otherwise base64. */
  original: string | null;
  originalEncoding: 'utf8' | 'base64';
  rejectedAt: number;
}

export type Mapped =
  | {
      kind: 'click';
      event: ClickEvent;
      /**
       * The record sits in a partition its ad_id does not hash to (a producer that did not key by
       * ad_id). It is still aggregated in the partition it arrived in: see `speed-layer/README.md`.
       */
      misKeyed: boolean;
    }
  | { kind: 'rejected'; deadLetter: DeadLetter; record: OutgoingRecord };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The map node: validates and normalises one record. Never throws: a record that breaks the
 * contract becomes a dead letter carrying the reason, the original bytes and where it came from.
 *
 * @param partitions partition count of the topic, to notice records not keyed by ad_id
 */
export function mapRecord(record: ConsumedRecord, partitions: number, nowMs = Date.now()): Mapped {
  if (record.value === null) return rejected(record, null, 'record has no value (tombstone)', nowMs);
  const parsed = parseClick(record.value);
  if (!parsed.ok) return rejected(record, parsed.rejection.field, parsed.rejection.reason, nowMs);
  const misKeyed = partitions > 0 && partitionForKey(parsed.event.adId, partitions) !== record.partition;
  return { kind: 'click', event: parsed.event, misKeyed };
}

function rejected(record: ConsumedRecord, field: string | null, reason: string, nowMs: number): Mapped {
  let original: string | null = null;
  let originalEncoding: DeadLetter['originalEncoding'] = 'utf8';
  if (record.value !== null) {
    try {
      original = utf8.decode(record.value);
    } catch {
      original = Buffer.from(record.value).toString('base64');
      originalEncoding = 'base64';
    }
  }
  const deadLetter: DeadLetter = {
    reason,
    field,
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    original,
    originalEncoding,
    rejectedAt: nowMs,
  };
  return {
    kind: 'rejected',
    deadLetter,
    record: {
      key: record.key === null ? null : Buffer.from(record.key).toString('utf8'),
      value: JSON.stringify(deadLetter),
      headers: { 'x-adclick-source': `${record.topic}/${record.partition}/${record.offset}` },
    },
  };
}
