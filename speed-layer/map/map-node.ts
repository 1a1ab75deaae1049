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
  /**
   * Set when the letter whole would pass `MAX_DEAD_LETTER_BYTES` and the value is longer than
   * `TRUNCATED_ORIGINAL_BYTES`: `original` then holds the value's first bytes, in base64, and
   * `originalBytes` its full size. The whole record stays at its partition and offset, and in
   * the lake's `rejected/`.
   */
  originalTruncated?: true;
  originalBytes?: number;
}

/**
 * Largest dead letter produced whole. The broker refuses a record above its `message.max.bytes`
 * (1 MiB by default), and a click record near that size, escaped into JSON, would pass it: the
 * letter could never be produced, so the partition could never move past the record.
 */
export const MAX_DEAD_LETTER_BYTES = 512 * 1024;
/** What a larger letter keeps of its original (base64, which escaping cannot grow further). */
export const TRUNCATED_ORIGINAL_BYTES = 256 * 1024;

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
  let value = JSON.stringify(deadLetter);
  if (record.value !== null && Buffer.byteLength(value) > MAX_DEAD_LETTER_BYTES) {
    // Escaping can grow a small value past the bound too: that one is kept whole, in base64.
    const bytes = record.value;
    const kept = Math.min(bytes.byteLength, TRUNCATED_ORIGINAL_BYTES);
    Object.assign(deadLetter, {
      original: Buffer.from(bytes.buffer, bytes.byteOffset, kept).toString('base64'),
      originalEncoding: 'base64',
      ...(kept < bytes.byteLength ? { originalTruncated: true, originalBytes: bytes.byteLength } : {}),
    });
    value = JSON.stringify(deadLetter);
  }
  return {
    kind: 'rejected',
    deadLetter,
    record: {
      key: record.key === null ? null : Buffer.from(record.key).toString('utf8'),
      value,
      headers: { 'x-adclick-source': `${record.topic}/${record.partition}/${record.offset}` },
    },
  };
}
