import { describe, expect, it } from 'vitest';
import { partitionForKey } from '../../../shared/partitioning/partition-for-key.ts';
import {
  type DeadLetter,
  MAX_DEAD_LETTER_BYTES,
  mapRecord,
  TRUNCATED_ORIGINAL_BYTES,
} from '../../../speed-layer/map/map-node.ts';
import { MALFORMED_EVENTS, VALID_EVENT_JSON } from '../../fixtures/malformed-events.ts';

const record = (value: Uint8Array | null, partition = 0) => ({
  topic: 't',
  partition,
  offset: '42',
  key: Buffer.from('ad-1'),
  value,
});

describe('map node', () => {
  it.each(MALFORMED_EVENTS)('turns $name into a dead letter naming $field', ({ body, field }) => {
    const mapped = mapRecord(record(Buffer.from(body)), 12, 5);
    expect(mapped.kind).toBe('rejected');
    if (mapped.kind !== 'rejected') return;
    expect(mapped.deadLetter).toMatchObject({
      field,
      partition: 0,
      offset: '42',
      topic: 't',
      original: body,
    });
    expect(mapped.deadLetter.reason.length).toBeGreaterThan(5);
    expect(JSON.parse(String(mapped.record.value)) as DeadLetter).toEqual(mapped.deadLetter);
  });

  it('keeps non-UTF-8 bytes as base64 and tombstones as null', () => {
    const bytes = Buffer.from([0xff, 0xfe, 0x00]);
    const mapped = mapRecord(record(bytes), 12);
    expect(mapped.kind === 'rejected' && mapped.deadLetter).toMatchObject({
      original: bytes.toString('base64'),
      originalEncoding: 'base64',
      reason: 'event is not valid UTF-8',
    });
    const tombstone = mapRecord(record(null), 12);
    expect(tombstone.kind === 'rejected' && tombstone.deadLetter.original).toBeNull();
  });

  it('accepts a valid click and notices when it sits in a partition its ad_id does not hash to', () => {
    const home = partitionForKey('ad-1', 12);
    expect(mapRecord(record(Buffer.from(VALID_EVENT_JSON), home), 12)).toMatchObject({
      kind: 'click',
      misKeyed: false,
      event: { adId: 'ad-1', country: 'US' },
    });
    expect(mapRecord(record(Buffer.from(VALID_EVENT_JSON), (home + 1) % 12), 12)).toMatchObject({
      misKeyed: true,
    });
  });
});

describe('map node: dead letters the broker would refuse', () => {
  it('keeps a letter under the bound: the original cut to its first bytes, in base64, with its size', () => {
    const value = Buffer.alloc(900 * 1024, 'x');
    const mapped = mapRecord(record(value), 12);
    if (mapped.kind !== 'rejected') throw new Error('expected a dead letter');
    expect(Buffer.byteLength(String(mapped.record.value))).toBeLessThanOrEqual(MAX_DEAD_LETTER_BYTES);
    expect(mapped.deadLetter).toMatchObject({
      originalEncoding: 'base64',
      originalTruncated: true,
      originalBytes: value.byteLength,
      offset: '42',
    });
    expect(mapped.deadLetter.reason).toMatch(/921600 bytes/);
    expect(Buffer.from(mapped.deadLetter.original!, 'base64')).toEqual(
      value.subarray(0, TRUNCATED_ORIGINAL_BYTES),
    );
  });

  it('keeps a small value whose escaped text passes the bound whole, in base64', () => {
    // Control characters escape to six bytes each in JSON.
    const value = Buffer.alloc(100 * 1024, 0x01);
    const mapped = mapRecord(record(value), 12);
    if (mapped.kind !== 'rejected') throw new Error('expected a dead letter');
    expect(Buffer.byteLength(String(mapped.record.value))).toBeLessThanOrEqual(MAX_DEAD_LETTER_BYTES);
    expect(mapped.deadLetter.originalTruncated).toBeUndefined();
    expect(Buffer.from(mapped.deadLetter.original!, 'base64')).toEqual(value);
  });
});
