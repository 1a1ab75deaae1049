import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RawClickRow } from '../../../../batch-layer/lake/types.ts';
import { createParquetWriter } from '../../../../batch-layer/parquet/create-parquet-writer.ts';
import { DuckDbRecomputeEngine } from '../../../../batch-layer/recompute/duckdb-recompute-engine.ts';
import type { AggregationDefinition } from '../../../../shared/aggregation/definition.ts';
import { HOUR_MS, hourOf, MINUTE_MS } from '../../../../shared/aggregation/time.ts';
import { generateAll } from '../../../../shared/generator/generator.ts';
import { recountAll } from '../../../helpers/recount.ts';
import { expectTopListsOfRecount } from './expect-top-lists.ts';
import { readAllCells } from './read-cells.ts';

const dir = mkdtempSync(join(tmpdir(), 'adclick-recompute-'));
const engine = new DuckDbRecomputeEngine({ threads: 2 });
afterAll(async () => {
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
});

const START = Date.UTC(2026, 0, 31, 6, 40);
const definition: AggregationDefinition = {
  dimensions: ['country'],
  windowsMinutes: [1, 5, 15, 60],
  topN: 3,
};

/** The generated stream as lake rows, with the Kafka partition/offset an archiver would record. */
function lakeRows(): { rows: RawClickRow[]; records: ReturnType<typeof generateAll> } {
  const records = generateAll({
    seed: 7,
    clicks: 12_000,
    startMs: START,
    ads: 25,
    clicksPerSecond: 2,
    partitions: 4,
  });
  const offsets = new Map<number, bigint>();
  const rows: RawClickRow[] = [];
  for (const r of records) {
    const offset = offsets.get(r.partition) ?? 0n;
    offsets.set(r.partition, offset + 1n);
    if (r.event === undefined) continue;
    rows.push({ ...r.event, kafkaPartition: r.partition, kafkaOffset: offset });
  }
  return { rows, records };
}

/** Writes rows per event hour into several files with both writers, plus a crash-style overlap. */
async function writeHours(rows: RawClickRow[]): Promise<Map<number, string[]>> {
  const byHour = new Map<number, RawClickRow[]>();
  for (const r of rows) {
    const h = hourOf(r.timestampMs);
    byHour.set(h, [...(byHour.get(h) ?? []), r]);
  }
  const files = new Map<number, string[]>();
  const writers = [createParquetWriter('duckdb'), createParquetWriter('parquetjs')];
  for (const [h, hourRows] of byHour) {
    const half = Math.floor(hourRows.length / 2);
    const parts = [hourRows.slice(0, half), hourRows.slice(half), hourRows.slice(half - 50, half + 50)];
    const names: string[] = [];
    for (const [i, part] of parts.entries()) {
      const file = join(dir, `${h}-${i}.parquet`);
      await writers[i % 2]!.writeRaw(part, file);
      names.push(file);
    }
    files.set(h, names);
  }
  for (const w of writers) await w.close();
  return files;
}

describe('DuckDbRecomputeEngine', () => {
  it('computes the hour exactly as an independent recount of the distinct clicks', async () => {
    const { rows, records } = lakeRows();
    const files = await writeHours(rows);
    const recount = recountAll(records.map((r) => ({ partition: r.partition, event: r.event })));
    const hour = hourOf(START) + HOUR_MS;

    const result = await engine.compute({
      hour,
      hourFiles: files.get(hour) ?? [],
      previousHourFiles: files.get(hour - HOUR_MS) ?? [],
      definition,
    });

    const expectedCells = [...recount.cells]
      .map(([key, count]) => {
        const [adId, slice, minute] = key.split('|') as [string, string, string];
        return { adId, slice, minute: Number(minute), count };
      })
      .filter((c) => c.minute >= hour && c.minute < hour + HOUR_MS);
    const byKey = (a: { adId: string; slice: string; minute: number }, b: typeof a) =>
      a.minute - b.minute || a.slice.localeCompare(b.slice) || a.adId.localeCompare(b.adId);
    const cells = await readAllCells(result.cells);
    expect(cells).toHaveLength(result.cells.size);
    expect(cells.sort(byKey)).toEqual(expectedCells.sort(byKey));
    expect(result.clicks).toBe(
      expectedCells.filter((c) => c.slice === 'all').reduce((s, c) => s + c.count, 0),
    );
    // Raw rows: every row of the hour, the 100 archived twice by the crash-style overlap included.
    const hourRows = rows.filter((r) => hourOf(r.timestampMs) === hour).length;
    expect(result.rawRows).toBe(hourRows + 100);

    const slices = [...new Set(expectedCells.map((c) => c.slice))];
    expectTopListsOfRecount(result.topLists, recount, slices, hour, definition);
  }, 60_000);

  it('keeps the first row in Kafka order when a click_id is reused with another ad, time and country', async () => {
    const hour = Date.UTC(2026, 0, 31, 9);
    const base = { userId: 'u', ip: '198.51.100.1', country: 'US' };
    const rows: RawClickRow[] = [
      { ...base, clickId: 'x', adId: 'ad-b', timestampMs: hour + 1_000, kafkaPartition: 2, kafkaOffset: 1n },
      {
        ...base,
        clickId: 'x',
        adId: 'ad-a',
        timestampMs: hour + 70_000,
        kafkaPartition: 1,
        kafkaOffset: 9n,
        country: 'KR',
      },
      { ...base, clickId: 'x', adId: 'ad-c', timestampMs: hour + 2_000, kafkaPartition: 1, kafkaOffset: 10n },
    ];
    const file = join(dir, 'reuse.parquet');
    const writer = createParquetWriter('duckdb');
    await writer.writeRaw(rows, file);
    await writer.close();
    const result = await engine.compute({ hour, hourFiles: [file], previousHourFiles: [], definition });
    // Every slice takes the winner's ad, minute and country: one click, counted in `all` and KR.
    const cells = (await readAllCells(result.cells)).sort((a, b) => a.slice.localeCompare(b.slice));
    expect(cells).toEqual([
      { adId: 'ad-a', slice: 'all', minute: hour + MINUTE_MS, count: 1 },
      { adId: 'ad-a', slice: 'country=KR', minute: hour + MINUTE_MS, count: 1 },
    ]);
    expect(result).toMatchObject({ rawRows: 3, clicks: 1 });
  });

  it('gives an empty hour when there are no files', async () => {
    const hour = Date.UTC(2026, 0, 31, 10);
    const result = await engine.compute({ hour, hourFiles: [], previousHourFiles: [], definition });
    expect(result).toMatchObject({ hour, rawRows: 0, clicks: 0, topLists: [] });
    expect(result.cells.size).toBe(0);
    expect(await readAllCells(result.cells)).toEqual([]);
  });
});
