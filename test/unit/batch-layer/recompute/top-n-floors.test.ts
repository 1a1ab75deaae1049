import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RawClickRow } from '../../../../batch-layer/lake/types.ts';
import { createParquetWriter } from '../../../../batch-layer/parquet/create-parquet-writer.ts';
import { DuckDbRecomputeEngine } from '../../../../batch-layer/recompute/duckdb-recompute-engine.ts';
import { packedKafkaOrderFits } from '../../../../batch-layer/recompute/recompute-sql.ts';
import { windowFloors } from '../../../../batch-layer/recompute/top-n-floors.ts';
import type { AggregationDefinition } from '../../../../shared/aggregation/definition.ts';
import { HOUR_MS, hourOf, MINUTE_MS } from '../../../../shared/aggregation/time.ts';
import { generateAll } from '../../../../shared/generator/generator.ts';
import { recountAll } from '../../../helpers/recount.ts';
import { expectTopListsOfRecount } from './expect-top-lists.ts';
import { readAllCells } from './read-cells.ts';

const dir = mkdtempSync(join(tmpdir(), 'adclick-floors-'));
const engine = new DuckDbRecomputeEngine({ threads: 2 });
afterAll(async () => {
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('windowFloors', () => {
  it('gives, per window length and minute, the lowest N-th subset count of the windows covering it', () => {
    const hour = Date.UTC(2026, 0, 31, 9);
    const definition: AggregationDefinition = { dimensions: [], windowsMinutes: [1, 3], topN: 2 };
    const list = (windowMinutes: number, endOffset: number, counts: number[]) => ({
      windowMinutes,
      slice: 'all',
      endMinute: hour + endOffset * MINUTE_MS,
      ads: counts.map((count, i) => ({ adId: `ad-${i}`, count })),
    });
    const floors = windowFloors(
      [list(3, 1, [9, 8]), list(3, 2, [7, 6]), list(3, 3, [7, 5]), list(1, 1, [4, 3]), list(1, 2, [5])],
      ['all'],
      hour,
      definition,
    ).get('all')!;
    // Minutes from hour − 2 min; 1-minute windows cover only the hour's minutes.
    const [oneMinute, threeMinutes] = floors as [Float64Array, Float64Array];
    expect(oneMinute[0]).toBe(Number.POSITIVE_INFINITY);
    expect(oneMinute[2]).toBe(3);
    // A list shorter than N gives 0: any ad with a cell there may be listed.
    expect(oneMinute[3]).toBe(0);
    expect(threeMinutes[0]).toBe(8);
    expect(threeMinutes[1]).toBe(6);
    expect(threeMinutes[2]).toBe(5);
    // Windows without a list (nothing counted) give 0 too.
    expect(threeMinutes[5]).toBe(0);
  });
});

describe('packedKafkaOrderFits', () => {
  const row = (column: string, groups: number, withStats: number, min: number | null, max: number | null) => [
    column,
    groups,
    withStats,
    min,
    max,
  ];
  it('accepts only bounds proven by statistics of every row group', () => {
    expect(
      packedKafkaOrderFits([row('kafka_partition', 2, 2, 0, 11), row('kafka_offset', 2, 2, 0, 9e6)]),
    ).toBe(true);
    expect(
      packedKafkaOrderFits([row('kafka_partition', 2, 1, 0, 11), row('kafka_offset', 2, 2, 0, 9e6)]),
    ).toBe(false);
    expect(
      packedKafkaOrderFits([row('kafka_partition', 2, 2, 0, 11), row('kafka_offset', 2, 2, 0, 2 ** 47)]),
    ).toBe(false);
    expect(
      packedKafkaOrderFits([row('kafka_partition', 2, 2, 0, 2 ** 16), row('kafka_offset', 2, 2, 0, 1)]),
    ).toBe(false);
    expect(packedKafkaOrderFits([row('kafka_partition', 2, 2, -1, 3), row('kafka_offset', 2, 2, 0, 1)])).toBe(
      false,
    );
    expect(packedKafkaOrderFits([row('kafka_offset', 2, 2, 0, 1)])).toBe(false);
    expect(packedKafkaOrderFits([])).toBe(false);
  });
});

describe('DuckDbRecomputeEngine pruning of ads that cannot reach a top list', () => {
  it('leaves the long tail out of the ranking on Zipf traffic and still lists exactly the recount', async () => {
    const start = Date.UTC(2026, 0, 31, 6, 30);
    const definition: AggregationDefinition = {
      dimensions: ['country'],
      windowsMinutes: [1, 5, 15, 60],
      topN: 3,
    };
    const records = generateAll({
      seed: 11,
      clicks: 40_000,
      startMs: start,
      ads: 3000,
      clicksPerSecond: 8,
      partitions: 3,
    });
    const offsets = new Map<number, bigint>();
    const byHour = new Map<number, RawClickRow[]>();
    for (const r of records) {
      const offset = offsets.get(r.partition) ?? 0n;
      offsets.set(r.partition, offset + 1n);
      if (r.event === undefined) continue;
      const h = hourOf(r.event.timestampMs);
      byHour.set(h, [
        ...(byHour.get(h) ?? []),
        { ...r.event, kafkaPartition: r.partition, kafkaOffset: offset },
      ]);
    }
    const hour = hourOf(start) + HOUR_MS;
    const writer = createParquetWriter('duckdb');
    const files = new Map<number, string>();
    for (const [h, rows] of byHour) {
      files.set(h, join(dir, `${h}.parquet`));
      await writer.writeRaw(rows, files.get(h)!);
    }
    await writer.close();
    const recount = recountAll(records.map((r) => ({ partition: r.partition, event: r.event })));

    const result = await engine.compute({
      hour,
      hourFiles: [files.get(hour)!],
      previousHourFiles: [files.get(hour - HOUR_MS)!],
      definition,
    });

    // The pruning did prune: far fewer cells ranked than the windows reach.
    const reachable = [...recount.cells.keys()].filter((key) => {
      const minute = Number(key.split('|')[2]);
      return minute >= hour - 59 * MINUTE_MS && minute < hour + HOUR_MS;
    }).length;
    expect(result.rankedCells).toBeGreaterThan(0);
    expect(result.rankedCells!).toBeLessThan(reachable / 2);

    const slices = [...new Set((await readAllCells(result.cells)).map((c) => c.slice))];
    expect(slices.length).toBeGreaterThan(2);
    let ties = 0;
    expectTopListsOfRecount(
      result.topLists,
      recount,
      slices,
      hour,
      definition,
      (expected, windowMinutes, slice, end) => {
        // A tie at the last place: the floor rule keeps ads whose total equals the floor.
        const all = recount.top(windowMinutes, slice, end, definition.topN + 1);
        if (all.length > definition.topN && all[definition.topN]!.count === expected.at(-1)!.count) ties++;
      },
    );
    expect(ties).toBeGreaterThan(0);
  }, 60_000);
});
