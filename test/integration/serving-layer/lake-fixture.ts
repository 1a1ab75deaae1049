/**
 * Writes a generated stream to an object store as the raw lake (SPEC A4), with DuckDB: one Parquet
 * object per (event hour, Kafka partition), offsets in send order per partition — the layout and
 * columns the archiver produces, so the serving layer's lake readers see what production gives them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { hourOf, isoDate, isoHour } from '../../../shared/aggregation/time.ts';
import type { GeneratedRecord } from '../../../shared/generator/types.ts';
import type { ObjectStore } from '../../../shared/object-store/types.ts';

const q = (s: string) => `'${s.replaceAll("'", "''")}'`;

/** Uploads the valid records (duplicates included, malformed left out) under `${root}raw/…`; returns the keys. */
export async function writeRawLake(
  store: ObjectStore,
  root: string,
  records: readonly GeneratedRecord[],
): Promise<string[]> {
  const offsets = new Map<number, number>();
  const groups = new Map<string, string[]>();
  for (const r of records) {
    const offset = offsets.get(r.partition) ?? 0;
    offsets.set(r.partition, offset + 1);
    const e = r.event;
    if (e === undefined) continue;
    const key = `${hourOf(e.timestampMs)}|${r.partition}`;
    const rows = groups.get(key) ?? [];
    rows.push(
      `(${q(e.clickId)}, ${q(e.adId)}, make_timestamp(${e.timestampMs * 1000}), ${q(e.userId)}, ${q(e.ip)}, ${q(e.country)}, ${r.partition}, ${offset})`,
    );
    groups.set(key, rows);
  }
  const dir = mkdtempSync(join(tmpdir(), 'adclick-lake-fixture-'));
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  const keys: string[] = [];
  try {
    for (const [group, rows] of groups) {
      const [hour, partition] = group.split('|').map(Number) as [number, number];
      const file = join(dir, `${hour}-${partition}.parquet`);
      await c.run(
        `COPY (SELECT * FROM (VALUES ${rows.join(', ')}) t(click_id, ad_id, click_timestamp, user_id, ip, country, kafka_partition, kafka_offset)) TO ${q(file)} (FORMAT parquet)`,
      );
      const key = `${root}raw/dt=${isoDate(hour)}/hour=${isoHour(hour)}/p${partition}-${hour}.parquet`;
      await store.putFile(key, file);
      keys.push(key);
    }
  } finally {
    c.closeSync();
    db.closeSync();
    rmSync(dir, { recursive: true, force: true });
  }
  return keys;
}
