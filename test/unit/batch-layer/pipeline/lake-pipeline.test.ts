import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Archiver } from '../../../../batch-layer/archiver/archiver.ts';
import type { ArchiveMessage } from '../../../../batch-layer/archiver/types.ts';
import { BatchJobs } from '../../../../batch-layer/jobs/batch-jobs.ts';
import { LakeLayout } from '../../../../batch-layer/lake/lake-layout.ts';
import { MemoryHourLedger } from '../../../../batch-layer/ledger/memory-hour-ledger.ts';
import { createParquetWriter } from '../../../../batch-layer/parquet/create-parquet-writer.ts';
import { DuckDbRecomputeEngine } from '../../../../batch-layer/recompute/duckdb-recompute-engine.ts';
import { HourRecomputer } from '../../../../batch-layer/recompute/hour-recomputer.ts';
import type { AggregationDefinition } from '../../../../shared/aggregation/definition.ts';
import { HOUR_MS, hourOf, MINUTE_MS } from '../../../../shared/aggregation/time.ts';
import { generateAll } from '../../../../shared/generator/generator.ts';
import { silentLogger } from '../../../../shared/logger/logger.ts';
import { recountAll } from '../../../helpers/recount.ts';
import { FakeArchiveSource, MemoryBatchViewStore, MemoryObjectStore } from '../fakes.ts';

const dir = mkdtempSync(join(tmpdir(), 'adclick-pipeline-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const definition: AggregationDefinition = { dimensions: ['country'], windowsMinutes: [1, 5, 60], topN: 5 };

describe('archiver → lake → recompute (in memory, DuckDB for real)', () => {
  it('gives exactly the recount of all distinct valid clicks, despite a failed commit and a crash', async () => {
    const start = Date.UTC(2026, 0, 31, 5, 50);
    const records = generateAll({
      seed: 3,
      clicks: 6_000,
      startMs: start,
      ads: 30,
      clicksPerSecond: 1.5,
      partitions: 3,
    });
    const log = new Map<number, ArchiveMessage[]>();
    for (const [i, r] of records.entries()) {
      const messages = log.get(r.partition) ?? [];
      messages.push({
        partition: r.partition,
        offset: BigInt(messages.length),
        key: r.key,
        value: Buffer.from(r.value),
        timestampMs: start + i,
      });
      log.set(r.partition, messages);
    }
    const objects = new MemoryObjectStore();
    const layout = new LakeLayout('t/');
    const ledger = new MemoryHourLedger();
    const source = new FakeArchiveSource(log);
    const archiverDeps = { source, objects, layout, ledger, logger: silentLogger() };
    const options = { stagingDir: join(dir, 'archive'), maxRows: 700, maxAgeMs: 60_000 };

    // First archiver: one commit fails after its upload, then it "crashes" with a buffer in hand.
    const first = new Archiver({ ...archiverDeps, writer: createParquetWriter('duckdb') }, options);
    await first.start();
    source.failNextCommit = true;
    await source.deliverAll(250, new Map());
    // Restart from the committed offsets with the other writer, and stop cleanly (final flush).
    const second = new Archiver({ ...archiverDeps, writer: createParquetWriter('parquetjs') }, options);
    await second.start();
    await source.deliverAll(333);
    await second.close();
    await first.close();
    for (const [partition, messages] of log)
      expect(source.committed.get(partition)).toBe(BigInt(messages.length));
    expect([...objects.objects.keys()].some((k) => k.startsWith('t/rejected/'))).toBe(true);

    const view = new MemoryBatchViewStore();
    const now = start + 6 * HOUR_MS;
    const jobs = new BatchJobs({
      ledger,
      closedAfterMs: 20 * MINUTE_MS,
      lockTtlMs: 10_000,
      lockWaitMs: 10_000,
      logger: silentLogger(),
      now: () => now,
      recomputeHour: async (hour) => {
        const engine = new DuckDbRecomputeEngine({ threads: 1 });
        try {
          const recomputer = new HourRecomputer({
            objects,
            layout,
            engine,
            view,
            ledger,
            definition,
            stagingDir: join(dir, 'staging'),
            logger: silentLogger(),
            closedAfterMs: 20 * MINUTE_MS,
            now: () => now,
          });
          return await recomputer.recompute(hour);
        } finally {
          await engine.close();
        }
      },
      enqueueRecompute: async (hour) => {
        await jobs.recompute(hour);
      },
    });
    const enqueued = await jobs.scan();
    expect(enqueued.length).toBeGreaterThanOrEqual(3);
    expect(await ledger.dirtyHours(Number.MAX_SAFE_INTEGER)).toEqual([]);

    const recount = recountAll(records.map((r) => ({ partition: r.partition, event: r.event })));
    const got = new Map(view.cells().map((c) => [`${c.adId}|${c.slice}|${c.minute}`, c.count]));
    expect(got).toEqual(recount.cells);
    const top = await view.topList(60, 'all', hourOf(start) + 2 * HOUR_MS);
    expect(top?.ads).toEqual(recount.top(60, 'all', hourOf(start) + 2 * HOUR_MS, 5));
    // Closed hours without any rows do not hold the watermark back.
    expect(await view.watermark()).toBe(hourOf(now - 20 * MINUTE_MS));
    expect(objects.objects.has(layout.aggMinuteKey(hourOf(start)))).toBe(true);

    // A second recompute of an hour (replay) changes nothing visible.
    const before = view.cells();
    await jobs.recompute(hourOf(start) + HOUR_MS);
    expect(new Set(view.cells().map((c) => JSON.stringify(c)))).toEqual(
      new Set(before.map((c) => JSON.stringify(c))),
    );
  }, 60_000);
});
