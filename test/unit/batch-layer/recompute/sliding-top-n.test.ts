import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { closeDuckDb, openDuckDb } from '../../../../batch-layer/duckdb/duckdb.ts';
import type { RawClickRow } from '../../../../batch-layer/lake/types.ts';
import { createParquetWriter } from '../../../../batch-layer/parquet/create-parquet-writer.ts';
import { DuckDbRecomputeEngine } from '../../../../batch-layer/recompute/duckdb-recompute-engine.ts';
import { slidingTopLists, type WindowCells } from '../../../../batch-layer/recompute/sliding-top-n.ts';
import type { TopList } from '../../../../shared/aggregate-store/types.ts';
import type { AggregationDefinition } from '../../../../shared/aggregation/definition.ts';
import { HOUR_MS, MINUTE_MS } from '../../../../shared/aggregation/time.ts';
import { readAllCells } from './read-cells.ts';

/** Small deterministic PRNG (mulberry32), so a failure reproduces from its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Cell {
  adId: string;
  slice: string;
  minute: number;
  count: number;
}

/**
 * The independent recount: for every window, end minute and slice, add up the cells inside the
 * window in a Map and sort all ads with a plain comparator — no sliding, no heap.
 */
function naiveTopLists(cells: readonly Cell[], hour: number, definition: AggregationDefinition): TopList[] {
  const out: TopList[] = [];
  const slices = [...new Set(cells.map((c) => c.slice))].sort();
  for (const windowMinutes of definition.windowsMinutes) {
    for (let end = hour + MINUTE_MS; end <= hour + HOUR_MS; end += MINUTE_MS) {
      for (const slice of slices) {
        const sums = new Map<string, number>();
        for (const c of cells) {
          if (c.slice !== slice || c.minute < end - windowMinutes * MINUTE_MS || c.minute >= end) continue;
          sums.set(c.adId, (sums.get(c.adId) ?? 0) + c.count);
        }
        const ads = [...sums]
          .filter(([, count]) => count > 0)
          .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0))
          .slice(0, definition.topN)
          .map(([adId, count]) => ({ adId, count }));
        if (ads.length > 0) out.push({ windowMinutes, slice, endMinute: end, ads });
      }
    }
  }
  return out;
}

const HOUR = Date.UTC(2026, 2, 3, 14);
const definition: AggregationDefinition = {
  dimensions: ['country'],
  windowsMinutes: [1, 4, 15, 60],
  topN: 4,
};

/** Random cells over the hour and the one before, with few ads (many ties) and mostly empty minutes. */
function randomCells(seed: number): Cell[] {
  const next = random(seed);
  const ads = Array.from(
    { length: 3 + Math.floor(next() * 12) },
    (_, i) => `ad-${String.fromCharCode(97 + ((i * 7) % 26))}${i}`,
  );
  const cells: Cell[] = [];
  for (let m = HOUR - HOUR_MS; m < HOUR + HOUR_MS; m += MINUTE_MS) {
    if (next() < 0.7) continue;
    for (const slice of ['all', 'country=KR', 'country=US']) {
      for (const adId of ads)
        if (next() < 0.3) cells.push({ adId, slice, minute: m, count: 1 + Math.floor(next() * 3) });
    }
  }
  return cells;
}

function columns(cells: readonly Cell[]): WindowCells {
  const adIds = [...new Set(cells.map((c) => c.adId))].sort();
  const slices = [...new Set(cells.map((c) => c.slice))];
  return {
    adIds,
    slices,
    slice: Int32Array.from(cells.map((c) => slices.indexOf(c.slice))),
    ad: Int32Array.from(cells.map((c) => adIds.indexOf(c.adId))),
    minute: Float64Array.from(cells.map((c) => c.minute)),
    count: Float64Array.from(cells.map((c) => c.count)),
  };
}

const dir = mkdtempSync(join(tmpdir(), 'adclick-sliding-top-'));
const engine = new DuckDbRecomputeEngine({ threads: 2 });
afterAll(async () => {
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('slidingTopLists', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])(
    'equals a naive recount of random sparse cells with ties (seed %i)',
    (seed) => {
      const cells = randomCells(seed);
      expect(slidingTopLists(columns(cells), HOUR, definition)).toEqual(
        naiveTopLists(cells, HOUR, definition),
      );
    },
  );

  it('lists nothing when no cell falls in reach of the hour', () => {
    const cells = [{ adId: 'a', slice: 'all', minute: HOUR - 2 * HOUR_MS, count: 5 }];
    expect(slidingTopLists(columns(cells), HOUR, definition)).toEqual([]);
  });
});

describe('DuckDbRecomputeEngine top-N lists', () => {
  it('equal a naive recount of random raw clicks with duplicates, ties and sparse minutes', async () => {
    const next = random(99);
    const rows: RawClickRow[] = [];
    const clicks = new Map<string, { adId: string; country: string; minute: number }>();
    const ads = ['ad-b', 'ad-a', 'ad-c', 'ad-e', 'ad-d', 'ad-f'];
    let offset = 0n;
    for (let m = HOUR - HOUR_MS; m < HOUR + HOUR_MS; m += MINUTE_MS) {
      if (next() < 0.6) continue;
      const n = Math.floor(next() * 12);
      for (let i = 0; i < n; i++) {
        const clickId = `c-${m}-${i}`;
        const adId = ads[Math.floor(next() * next() * ads.length)]!;
        const country = next() < 0.5 ? 'KR' : 'US';
        const row = {
          clickId,
          adId,
          timestampMs: m + Math.floor(next() * MINUTE_MS),
          userId: 'u',
          ip: '198.51.100.7',
          country,
        };
        clicks.set(clickId, { adId, country, minute: m });
        const copies = next() < 0.2 ? 2 : 1;
        for (let k = 0; k < copies; k++) rows.push({ ...row, kafkaPartition: 0, kafkaOffset: offset++ });
      }
    }
    const previous = rows.filter((r) => r.timestampMs < HOUR);
    const current = rows.filter((r) => r.timestampMs >= HOUR);
    const writer = createParquetWriter('duckdb');
    await writer.writeRaw(previous, join(dir, 'previous.parquet'));
    await writer.writeRaw(current, join(dir, 'current.parquet'));
    await writer.close();

    const cellCounts = new Map<string, Cell>();
    for (const c of clicks.values()) {
      for (const slice of ['all', `country=${c.country}`]) {
        const key = `${c.adId}|${slice}|${c.minute}`;
        const cell = cellCounts.get(key) ?? { adId: c.adId, slice, minute: c.minute, count: 0 };
        cell.count++;
        cellCounts.set(key, cell);
      }
    }
    const result = await engine.compute({
      hour: HOUR,
      hourFiles: [join(dir, 'current.parquet')],
      previousHourFiles: [join(dir, 'previous.parquet')],
      definition,
      aggMinuteFile: join(dir, 'agg-minute.parquet'),
      aggTopFile: join(dir, 'agg-top.parquet'),
    });
    expect(result.topLists).toEqual(naiveTopLists([...cellCounts.values()], HOUR, definition));

    // The agg/ Parquet files hold the same cells and lists.
    const session = await openDuckDb();
    try {
      const read = async (sql: string) => (await session.connection.runAndReadAll(sql)).getRowObjectsJS();
      const tops = await read(
        `SELECT window_minutes, slice, epoch_ms(end_minute)::DOUBLE AS end_minute, rank::INTEGER AS rank, ad_id, clicks::DOUBLE AS clicks
         FROM '${join(dir, 'agg-top.parquet')}'`,
      );
      expect(tops).toEqual(
        result.topLists.flatMap((l) =>
          l.ads.map((a, i) => ({
            window_minutes: l.windowMinutes,
            slice: l.slice,
            end_minute: l.endMinute,
            rank: i + 1,
            ad_id: a.adId,
            clicks: a.count,
          })),
        ),
      );
      const minutes = await read(
        `SELECT ad_id, slice, epoch_ms(minute)::DOUBLE AS minute, clicks::DOUBLE AS clicks FROM '${join(dir, 'agg-minute.parquet')}'
         ORDER BY minute, slice, ad_id`,
      );
      const byKey = (a: Cell, b: Cell) =>
        a.minute - b.minute ||
        (a.slice < b.slice ? -1 : a.slice > b.slice ? 1 : 0) ||
        (a.adId < b.adId ? -1 : 1);
      expect(minutes).toEqual(
        (await readAllCells(result.cells))
          .sort(byKey)
          .map((c) => ({ ad_id: c.adId, slice: c.slice, minute: c.minute, clicks: c.count })),
      );
    } finally {
      closeDuckDb(session);
    }
    expect(result.topLists.some((l) => l.ads.length > 1 && l.ads[0]!.count === l.ads[1]!.count)).toBe(true);
  }, 60_000);
});
