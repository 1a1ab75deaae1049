/**
 * The whole pipeline as separate processes: clicks through the collector and straight into Kafka,
 * with duplicates, out-of-order, late and malformed events. The speed layer alone must make the API
 * equal the recount of on-time clicks; after a replay of the stream's hours the API equals the
 * recount of every valid click and the reconciliation explains every difference.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOUR_MS, hourOf } from '../../shared/aggregation/time.ts';
import { parseClick } from '../../shared/click-event/click-event.ts';
import {
  PIPELINE_LATENESS_MS,
  PIPELINE_PARTITIONS,
  type Pipeline,
  startPipeline,
} from '../helpers/pipeline.ts';
import {
  apiDifferences,
  expectApiEquals,
  expectExplained,
  reconcile,
  replay,
  scopeOf,
} from '../helpers/pipeline-checks.ts';
import { readTopic } from '../helpers/pipeline-topics.ts';
import { recountAll, recountSpeed } from '../helpers/recount.ts';
import { recountInputs, testStream } from '../helpers/test-stream.ts';

describe('end to end: collector and Kafka → speed layer, archiver, batch replay → API', {
  timeout: 300_000,
}, () => {
  let p: Pipeline;
  beforeAll(async () => {
    p = await startPipeline('e2e');
  });
  afterAll(async () => {
    await p?.cleanup();
  });

  // Two hours ago, across an hour boundary, so the hours are closed for the batch layer.
  const startMs = hourOf(Date.now()) - 2 * HOUR_MS - 2 * 60_000;
  const records = testStream({ seed: 61, clicks: 6000, startMs, partitions: PIPELINE_PARTITIONS });
  const viaCollector = records.slice(0, Math.floor(records.length * 0.4));
  const viaKafka = records.slice(viaCollector.length);
  const inputs = recountInputs(records);
  const onTime = recountSpeed(inputs, PIPELINE_LATENESS_MS);
  const all = recountAll(inputs);
  const scope = scopeOf(records, all);
  const malformed = (rs: typeof records) => rs.filter((r) => !parseClick(r.value).ok);

  it('answers the recount of on-time clicks from the speed layer', async () => {
    expect(records.some((r) => r.kind === 'duplicate')).toBe(true);
    expect(onTime.late.size, 'the stream has late clicks').toBeGreaterThan(0);
    // One after the other, so each partition's order is the order of `records`.
    const posted = await p.post(viaCollector);
    expect(posted.accepted).toBe(viaCollector.length - malformed(viaCollector).length);
    expect(posted.rejected.length).toBe(malformed(viaCollector).length);
    for (const r of posted.rejected) {
      expect(parseClick(viaCollector[r.index]!.value).ok, `rejected #${r.index}`).toBe(false);
      expect(r.reason.length).toBeGreaterThan(0);
    }
    await p.produce(viaKafka);
    await expectApiEquals(p, onTime, scope, 'the API to equal the speed recount');
    const source = await p.api<{ source: { batch_until: number | null } }>(
      `/v1/ads/${scope.ads[0]}/aggregated_count?from=${scope.from}&to=${scope.to}`,
    );
    expect(source.source.batch_until ?? null, 'no batch hour is published yet').toBeNull();
  });

  it('has every malformed event sent to Kafka in the DLQ with its reason', async () => {
    const bad = malformed(viaKafka);
    const letters = await readTopic(p.config, p.config.kafka.dlqTopic, bad.length);
    expect(letters.length).toBe(bad.length);
    expect(letters.map((l) => l.original).sort()).toEqual(bad.map((r) => r.value).sort());
    for (const l of letters) {
      expect(typeof l.reason === 'string' && l.reason.length > 0, JSON.stringify(l)).toBe(true);
      expect(l.topic).toBe(p.config.kafka.topic);
    }
  });

  it('answers the recount of all valid clicks after the replay, and reconciles every difference', async () => {
    expect(await apiDifferences(p, all, scope), 'before the replay the late clicks are missing').not.toEqual(
      [],
    );
    await p.waitCaughtUp();
    await replay(p, all);
    await expectApiEquals(p, all, scope, 'the API to equal the recount of all valid clicks', 60_000);
    const source = await p.api<{ source: { batch_until: number | null } }>(
      `/v1/ads/${scope.ads[0]}/aggregated_count?from=${scope.from}&to=${scope.to}`,
    );
    expect(source.source.batch_until, 'the stream lies before the batch watermark').toBeGreaterThanOrEqual(
      scope.to,
    );
    const reports = await reconcile(p, all);
    expectExplained(reports, all);
    const differing = [...all.cells].filter(([key, n]) => (onTime.cells.get(key) ?? 0) !== n).length;
    const sum = (f: (r: (typeof reports)[number]) => number) => reports.reduce((s, r) => s + f(r), 0);
    expect(sum((r) => r.speed_total)).toBe(onTime.total);
    expect(sum((r) => r.cells.mismatching)).toBe(differing);
    expect(sum((r) => r.causes.late_clicks ?? 0)).toBe(differing);
    expect(p.unexpectedExits()).toEqual([]);
  });
});
