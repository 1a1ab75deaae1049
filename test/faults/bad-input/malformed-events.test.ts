/**
 * The malformed-event table through both entry points of the running system (collector, speed
 * layer and API as `adclick` processes): the collector answers 202 naming each broken event's
 * field; records produced straight to Kafka become dead letters with the reason, the original
 * bytes and their partition/offset (also bytes that are not UTF-8, a null value, and a record too
 * large to dead-letter whole); none of them is counted, and the valid clicks between and after
 * them are counted exactly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { minuteOf } from '../../../shared/aggregation/time.ts';
import { waitFor } from '../../../shared/async/wait-for.ts';
import type { GeneratedRecord } from '../../../shared/generator/types.ts';
import { createKafka, kafkaOptionsFrom } from '../../../shared/kafka/kafka.ts';
import { silentLogger } from '../../../shared/logger/logger.ts';
import { partitionForKey } from '../../../shared/partitioning/partition-for-key.ts';
import { TRUNCATED_ORIGINAL_BYTES } from '../../../speed-layer/map/map-node.ts';
import { MALFORMED_EVENTS } from '../../fixtures/malformed-events.ts';
import { PIPELINE_PARTITIONS, type Pipeline, startPipeline } from '../../helpers/pipeline.ts';
import { readTopic } from '../../helpers/pipeline-topics.ts';

const HOUR = 3_600_000;
/** Where the table's events would count if anything let them through (they all name ad-1). */
const TABLE_AD = 'ad-1';
const TABLE_MINUTE = minuteOf(1_767_225_600_000);

/** An ad id whose partition is (or is not) 0, so Kafka-path records stay in partition 0 in order. */
function adIn(prefix: string, wantZero: boolean): string {
  for (let i = 0; ; i++) {
    const ad = `${prefix}-${i}`;
    if ((partitionForKey(ad, PIPELINE_PARTITIONS) === 0) === wantZero) return ad;
  }
}

let p: Pipeline;
const t0 = minuteOf(Date.now() - 2 * HOUR);
const kafkaAd = adIn('bad-input-kafka', true);
const collectorAd = adIn('bad-input-collector', false);

const valid = (ad: string, n: number): string =>
  JSON.stringify({
    click_id: `${ad}-c${n}`,
    ad_id: ad,
    click_timestamp: t0 + 1000 + n * 10,
    user_id: 'u-1',
    ip: '198.51.100.7',
    country: 'KR',
  });

const count = async (ad: string, from: number): Promise<number> =>
  (await p.api<{ count: number }>(`/v1/ads/${ad}/aggregated_count?from=${from}&to=${from + 60_000}`)).count;

beforeAll(async () => {
  p = await startPipeline('badinput', ['collector', 'speed', 'api']);
});

afterAll(async () => {
  await p?.cleanup();
});

describe('malformed events through the running system', () => {
  let collectorValid = 0;

  it('collector, NDJSON: 202 with every broken line rejected by index and field; valid lines accepted', async () => {
    const lines: string[] = [];
    const expected: Array<{ index: number; field: string | null; name: string }> = [];
    for (const c of MALFORMED_EVENTS) {
      lines.push(valid(collectorAd, collectorValid++));
      expected.push({ index: lines.length, field: c.field, name: c.name });
      lines.push(c.body);
    }
    lines.push(valid(collectorAd, collectorValid++));
    const res = await fetch(`${p.collectorUrl}/v1/clicks`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: lines.join('\n'),
    });
    expect(res.status).toBe(202);
    const answer = (await res.json()) as {
      accepted: number;
      rejected: Array<{ index: number; field: string | null; reason: string }>;
    };
    expect(answer.accepted).toBe(MALFORMED_EVENTS.length + 1);
    expect(answer.rejected.map((r) => r.index)).toEqual(expected.map((e) => e.index));
    for (const [i, r] of answer.rejected.entries()) {
      expect(r.field, expected[i]!.name).toBe(expected[i]!.field);
      expect(r.reason, expected[i]!.name).toMatch(/\w{3}/);
    }
  });

  it('collector, JSON array: each broken element rejected by index and field', async () => {
    const elements: unknown[] = [];
    const expected: Array<{ index: number; name: string }> = [];
    for (const c of MALFORMED_EVENTS) {
      let value: unknown;
      try {
        value = JSON.parse(c.body);
      } catch {
        continue; // not JSON: it cannot be an element of a JSON body (its own request is a 400)
      }
      elements.push(JSON.parse(valid(collectorAd, collectorValid++)));
      expected.push({ index: elements.length, name: c.name });
      elements.push(value);
    }
    const res = await fetch(`${p.collectorUrl}/v1/clicks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(elements),
    });
    expect(res.status).toBe(202);
    const answer = (await res.json()) as {
      accepted: number;
      rejected: Array<{ index: number; reason: string }>;
    };
    expect(answer.accepted).toBe(expected.length);
    expect(answer.rejected.map((r) => r.index)).toEqual(expected.map((e) => e.index));
  });

  it('straight into Kafka: one dead letter per broken record with reason, field, original bytes, partition and offset', async () => {
    const records: GeneratedRecord[] = [];
    const offsets = new Map<number, (typeof MALFORMED_EVENTS)[number]>();
    let n = 0;
    for (const c of MALFORMED_EVENTS) {
      records.push({ key: kafkaAd, value: valid(kafkaAd, n++), kind: 'valid', partition: 0 });
      offsets.set(records.length, c);
      records.push({ key: null, value: c.body, kind: 'malformed', partition: 0 });
    }
    records.push({ key: kafkaAd, value: valid(kafkaAd, n++), kind: 'valid', partition: 0 });
    // One chunk, in order, into partition 0 of a fresh topic: offset = position.
    await p.produce(records, records.length);

    const letters = await readTopic(p.config, p.config.kafka.dlqTopic, offsets.size);
    expect(letters).toHaveLength(offsets.size);
    const byOffset = new Map(letters.map((l) => [Number(l.offset), l]));
    for (const [offset, c] of offsets) {
      const letter = byOffset.get(offset);
      expect(letter, `dead letter of "${c.name}" at offset ${offset}`).toBeDefined();
      expect(letter).toMatchObject({
        topic: p.config.kafka.topic,
        partition: 0,
        field: c.field,
        original: c.body,
        originalEncoding: 'utf8',
      });
      expect(letter!.reason, c.name).toMatch(/\w{3}/);
    }
  });

  it('dead-letters records that are not text at all: invalid UTF-8 (original in base64), a null value, and one near the size limit (original cut)', async () => {
    const kafka = createKafka(kafkaOptionsFrom(p.config, { clientId: 'test-bad-bytes' }), silentLogger());
    const producer = kafka.producer();
    await producer.connect();
    const bytes = Buffer.from([0x7b, 0xff, 0xfe, 0x00, 0x7d]);
    try {
      await producer.send({
        topic: p.config.kafka.topic,
        acks: -1,
        messages: [
          { partition: 0, value: bytes },
          { partition: 0, key: 'ad-1', value: null },
        ],
      });
    } finally {
      await producer.disconnect();
    }
    // Near the broker's record limit, and not UTF-8: in base64 the letter whole would pass it.
    const huge = Buffer.alloc(900 * 1024, 0xff);
    const hugeProducer = kafka.producer();
    await hugeProducer.connect();
    try {
      await hugeProducer.send({
        topic: p.config.kafka.topic,
        acks: -1,
        messages: [{ partition: 0, value: huge }],
      });
    } finally {
      await hugeProducer.disconnect();
    }
    const letters = await readTopic(p.config, p.config.kafka.dlqTopic, MALFORMED_EVENTS.length + 3);
    expect(letters).toHaveLength(MALFORMED_EVENTS.length + 3);
    const cut = letters.find((l) => l.originalTruncated === true);
    expect(cut, JSON.stringify(letters.slice(-3)).slice(0, 2000)).toMatchObject({
      partition: 0,
      originalEncoding: 'base64',
      originalBytes: huge.byteLength,
    });
    expect(Buffer.from(String(cut!.original), 'base64')).toEqual(huge.subarray(0, TRUNCATED_ORIGINAL_BYTES));
    const binary = letters.find((l) => l.originalEncoding === 'base64');
    expect(binary, JSON.stringify(letters.slice(-2))).toMatchObject({
      original: bytes.toString('base64'),
      partition: 0,
    });
    expect(binary!.reason).toMatch(/\w{3}/);
    const empty = letters.find((l) => l.original === null);
    expect(empty, JSON.stringify(letters.slice(-2))).toMatchObject({ partition: 0 });
    expect(Number(empty!.offset)).toBe(Number(binary!.offset) + 1);
    expect(Number(cut!.offset)).toBe(Number(empty!.offset) + 1);
  });

  it('counts none of them, and every valid click before, between and after them exactly once', async () => {
    const minute = minuteOf(t0 + 1000);
    await waitFor(async () => (await count(kafkaAd, minute)) === MALFORMED_EVENTS.length + 1, {
      timeoutMs: 90_000,
      description: `the API to count the ${MALFORMED_EVENTS.length + 1} valid Kafka clicks of ${kafkaAd}`,
    });
    await waitFor(async () => (await count(collectorAd, minute)) === collectorValid, {
      timeoutMs: 90_000,
      description: `the API to count the ${collectorValid} valid collector clicks of ${collectorAd}`,
    });
    // Valid clicks sent after everything above are still processed, so the counts below are final.
    const after = adIn('bad-input-after', true);
    await p.produce([{ key: after, value: valid(after, 0), kind: 'valid', partition: 0 }]);
    await waitFor(async () => (await count(after, minute)) === 1, {
      timeoutMs: 90_000,
      description: 'a click produced after the malformed ones to be counted',
    });
    expect(await count(TABLE_AD, TABLE_MINUTE), 'the table events carry ad-1').toBe(0);
    expect(await count(kafkaAd, minute)).toBe(MALFORMED_EVENTS.length + 1);
    expect(await count(collectorAd, minute)).toBe(collectorValid);
    expect(p.child('speed'), `the speed layer is still running:\n${p.output('speed')}`).toBeDefined();
    expect(p.child('collector')).toBeDefined();
  });
});
