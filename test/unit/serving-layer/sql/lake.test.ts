import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbLakeEvidence } from '../../../../serving-layer/reconciliation/duckdb-lake-evidence.ts';
import { cellKey } from '../../../../serving-layer/reconciliation/types.ts';
import { DuckDbLakeQuery } from '../../../../serving-layer/sql/duckdb-lake-query.ts';
import { LakeCache } from '../../../../serving-layer/sql/lake-cache.ts';
import { MemoryObjectStore } from '../memory-object-store.ts';

const H = Date.UTC(2026, 0, 5, 10);
const dir = mkdtempSync(join(tmpdir(), 'adclick-lake-'));
const store = new MemoryObjectStore();

/** Partition 0 in offset order: a:10:05, b:10:06, c:10:07 (watermark passes 10:05's end with 15 s lateness), d:10:05 late, a again (duplicate). */
const ROWS: Array<[string, string, number, string, number]> = [
  ['a', 'ad-1', H + 5 * 60_000, 'US', 0],
  ['b', 'ad-1', H + 6 * 60_000, 'US', 1],
  ['c', 'ad-2', H + 7 * 60_000, 'KR', 2],
  ['d', 'ad-1', H + 5 * 60_000 + 1000, 'US', 3],
  ['a', 'ad-1', H + 5 * 60_000, 'US', 4],
];

beforeAll(async () => {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  const values = ROWS.map(
    ([id, ad, t, country, offset]) =>
      `('${id}', '${ad}', make_timestamp(${t * 1000}), 'u', '10.0.0.1', '${country}', 0, ${offset})`,
  ).join(', ');
  const file = join(dir, 'src.parquet');
  await c.run(
    `COPY (SELECT * FROM (VALUES ${values}) t(click_id, ad_id, click_timestamp, user_id, ip, country, kafka_partition, kafka_offset)) TO '${file}' (FORMAT parquet)`,
  );
  c.closeSync();
  db.closeSync();
  await store.putFile('raw/dt=2026-01-05/hour=10/p0-0-4.parquet', file);
  store.writes = 0;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('LakeCache + DuckDbLakeQuery', () => {
  it('syncs the hours asked for, reports progress, and never writes to the lake', async () => {
    const cache = new LakeCache(store, join(dir, 'cache'));
    const none = await cache.list('raw/', { from: H + 3_600_000, to: H + 7_200_000 });
    expect(none).toEqual([]);
    const objects = await cache.list('raw/', { from: H, to: H + 60_000 });
    const seen: number[] = [];
    const files = await cache.sync(objects, (p) => seen.push(p.files));
    expect(seen).toEqual([0, 1]);
    const db = new DuckDbLakeQuery();
    await db.open(files, []);
    const r = await db.query(
      'SELECT count(DISTINCT click_id) AS n, min(dt) AS dt, min(hour) AS hour FROM raw_clicks',
    );
    expect(r.rows[0]!.map(String)).toEqual(['4', '2026-01-05', '10']);
    expect((await db.query('SELECT count(*) FROM agg_minute')).rows[0]![0]).toBe('0');
    db.close();
    expect(store.writes).toBe(0);
  });
});

describe('DuckDbLakeEvidence', () => {
  it('counts distinct clicks per cell and marks the ones the speed layer saw late', async () => {
    const evidence = new DuckDbLakeEvidence({
      cache: new LakeCache(store, join(dir, 'cache2')),
      definition: { dimensions: ['country'], windowsMinutes: [1], topN: 10 },
      allowedLatenessMs: 15_000,
    });
    const cells = await evidence.cells(H, H + 3_600_000);
    expect(cells.get(cellKey('ad-1', 'all', H + 5 * 60_000))).toEqual({ raw: 2, late: 1 });
    expect(cells.get(cellKey('ad-1', 'country=US', H + 5 * 60_000))).toEqual({ raw: 2, late: 1 });
    expect(cells.get(cellKey('ad-1', 'all', H + 6 * 60_000))).toEqual({ raw: 1, late: 0 });
    expect(cells.get(cellKey('ad-2', 'country=KR', H + 7 * 60_000))).toEqual({ raw: 1, late: 0 });
  });
});
