import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RawClickRow } from '../../../../batch-layer/lake/types.ts';
import { createParquetWriter } from '../../../../batch-layer/parquet/create-parquet-writer.ts';
import { packedKafkaOrderFits } from '../../../../batch-layer/recompute/cells-sql.ts';
import { DuckDbRecomputeEngine } from '../../../../batch-layer/recompute/duckdb-recompute-engine.ts';
import { unsettledMinutes } from '../../../../batch-layer/recompute/top-n-candidates.ts';
import type { AggregationDefinition } from '../../../../shared/aggregation/definition.ts';
import { HOUR_MS, hourOf, MINUTE_MS } from '../../../../shared/aggregation/time.ts';
import { generateAll } from '../../../../shared/generator/generator.ts';
import { recountAll } from '../../../helpers/recount.ts';
import { expectTopListsOfRecount } from './expect-top-lists.ts';
import { readAllCells } from './read-cells.ts';

const dir = mkdtempSync(join(tmpdir(), 'adclick-candidates-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('unsettledMinutes', () => {
  const hour = Date.UTC(2026, 0, 31, 9);
  const definition: AggregationDefinition = { dimensions: ['country'], windowsMinutes: [1, 3], topN: 2 };
  const list = (slice: string, windowMinutes: number, endOffset: number, counts: number[]) => ({
    windowMinutes,
    slice,
    endMinute: hour + endOffset * MINUTE_MS,
    ads: counts.map((count, i) => ({ adId: `ad-${i}`, count })),
  });
  // c_K per minute from hour − 2 min (the first minute a 3-minute window of the hour covers).
  const kth = (values: Record<number, number>) => {
    const out = new Float64Array(62);
    for (const [t, v] of Object.entries(values)) out[Number(t)] = v;
    return out;
  };

  it('settles a window when outsiders sum strictly below its N-th count, or to nothing', () => {
    const minutes = unsettledMinutes(
      [
        list('all', 1, 1, [5, 4]),
        list('all', 1, 2, [5, 4]),
        list('all', 3, 1, [9, 8]),
        list('all', 3, 2, [9, 7]),
        list('all', 3, 3, [20, 8]),
        list('all', 3, 4, [6, 5]),
      ],
      new Map([['all', kth({ 2: 3, 3: 4 })]]),
      ['all'],
      hour,
      definition,
    );
    // 1 minute ending hour + 2 (C = 4 = s) and 3 minutes ending hour + 2 (C = 7 = s): ties with
    // outsiders are possible, so their minutes (hour − 1 … hour + 1) are unsettled; every other
    // window is settled (C < s, or C = 0 where no list exists).
    expect(minutes).toEqual(new Map([['all', [-1, 0, 1].map((m) => hour + m * MINUTE_MS)]]));
  });

  it('never settles a list shorter than N while outsiders have clicks in its window', () => {
    const minutes = unsettledMinutes(
      [list('country=KR', 1, 1, [5]), list('country=KR', 3, 3, [9, 8])],
      new Map([
        ['country=KR', kth({ 2: 1 })],
        ['country=US', kth({})],
      ]),
      ['country=KR', 'country=US', 'country=DE'],
      hour,
      definition,
    );
    // Windows over minute index 2 (hour): 1-minute ending hour + 1 (one entry, s = 0) and the
    // 3-minute windows ending hour + 1 and hour + 2 (no list); the one ending hour + 3 is settled.
    expect(minutes).toEqual(new Map([['country=KR', [-2, -1, 0, 1].map((m) => hour + m * MINUTE_MS)]]));
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

describe('DuckDbRecomputeEngine ranking only candidate ads', () => {
  const start = Date.UTC(2026, 0, 31, 6, 30);
  const hour = hourOf(start) + HOUR_MS;
  const definition: AggregationDefinition = {
    dimensions: ['country'],
    windowsMinutes: [1, 5, 15, 60],
    topN: 3,
  };
  const UNSETTLED = 'unsettled windows: more candidates, ranked again';
  let files: Map<number, string>;
  let recount: ReturnType<typeof recountAll>;
  let hourRows: number;

  beforeAll(async () => {
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
    hourRows = byHour.get(hour)?.length ?? 0;
    const writer = createParquetWriter('duckdb');
    files = new Map<number, string>();
    for (const [h, rows] of byHour) {
      files.set(h, join(dir, `${h}.parquet`));
      await writer.writeRaw(rows, files.get(h)!);
    }
    await writer.close();
    recount = recountAll(records.map((r) => ({ partition: r.partition, event: r.event })));
  }, 60_000);

  /** Computes the hour with `candidatesPerMinute` and checks every list against the recount. */
  async function computeExactly(candidatesPerMinute: number | undefined) {
    const engine = new DuckDbRecomputeEngine({ threads: 2, candidatesPerMinute });
    try {
      const result = await engine.compute({
        hour,
        hourFiles: [files.get(hour)!],
        previousHourFiles: [files.get(hour - HOUR_MS)!],
        definition,
      });
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
          // A tie at the last place: an outsider with the same sum must not slip in.
          const all = recount.top(windowMinutes, slice, end, definition.topN + 1);
          if (all.length > definition.topN && all[definition.topN]!.count === expected.at(-1)!.count) ties++;
        },
      );
      expect(ties).toBeGreaterThan(0);
      return result;
    } finally {
      await engine.close();
    }
  }

  it('leaves the long tail out of the ranking on Zipf traffic and still lists exactly the recount', async () => {
    const result = await computeExactly(undefined);
    // Far fewer cells ranked than the windows reach.
    const reachable = [...recount.cells.keys()].filter((key) => {
      const minute = Number(key.split('|')[2]);
      return minute >= hour - 59 * MINUTE_MS && minute < hour + HOUR_MS;
    }).length;
    expect(result.rankedCells).toBeGreaterThan(0);
    expect(result.rankedCells!).toBeLessThan(reachable / 2);
    // One writer with statistics, one hour per file: the raw rows come from the footers alone.
    expect(result.rawRows).toBe(hourRows);
  }, 60_000);

  it('lists exactly when the top N of each minute leave windows unsettled (ties with outsiders)', async () => {
    const result = await computeExactly(definition.topN);
    expect(result.stagesMs).toHaveProperty([UNSETTLED]);
  }, 60_000);

  it('lists exactly from the first candidates alone when every window settles', async () => {
    const result = await computeExactly(60);
    expect(result.stagesMs).not.toHaveProperty([UNSETTLED]);
  }, 60_000);
});
