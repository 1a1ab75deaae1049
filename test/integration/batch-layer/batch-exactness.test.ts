import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDuckDb, openDuckDb, sqlStringList } from '../../../batch-layer/duckdb/duckdb.ts';
import type { BatchRuntime } from '../../../batch-layer/runtime.ts';
import { waitFor } from '../../../shared/async/wait-for.ts';
import type { GeneratedRecord } from '../../../shared/generator/types.ts';
import type { Recount } from '../../helpers/recount.ts';
import {
  type BatchFixture,
  batchFixture,
  batchRuntime,
  expectBatchViewMatches,
  hoursOf,
  inProcessArchiver,
  malformedCount,
  openBatchView,
  produce,
  recountOf,
  testStream,
} from './batch-fixture.ts';

const run = promisify(execFile);

describe('batch layer on real Kafka, S3, Redis and Cassandra', () => {
  let f: BatchFixture;
  let runtime: BatchRuntime;
  let records: GeneratedRecord[];
  let recount: Recount;
  let staging: string;

  beforeAll(async () => {
    f = await batchFixture('exact');
    runtime = batchRuntime(f);
    await runtime.start();
    records = testStream(71);
    recount = recountOf(records);
    staging = await mkdtemp(join(tmpdir(), 'adclick-batch-test-'));
  });
  afterAll(async () => {
    await runtime?.close();
    await f?.cleanup();
    if (staging !== undefined) await rm(staging, { recursive: true, force: true });
  });

  it('archives the stream and recomputes a batch view equal to the recount', async () => {
    const archiver = inProcessArchiver(f, runtime);
    await archiver.start();
    const started = Date.now();
    try {
      await produce(f, records);
      await waitFor(() => archiver.stats.valid + archiver.stats.rejected === records.length, {
        timeoutMs: 60_000,
        description: `archiver to commit all ${records.length} records (stats ${JSON.stringify(archiver.stats)})`,
      });
    } finally {
      await archiver.close();
    }
    const archiveMs = Date.now() - started;
    expect(archiver.stats.rejected).toBe(malformedCount(records));

    const dirty = await runtime.ledger.dirtyHours(Number.MAX_SAFE_INTEGER);
    expect(dirty).toEqual(hoursOf(recount));
    const view = await openBatchView(f);
    try {
      const jobs = runtime.jobs(view);
      const t0 = Date.now();
      let clicks = 0;
      for (const hour of dirty) clicks += (await jobs.recompute(hour)).clicks;
      const recomputeMs = Date.now() - t0;
      expect(clicks).toBe(recount.total);
      const checked = await expectBatchViewMatches(view, records, recount, f.config);
      expect(await runtime.ledger.dirtyHours(Number.MAX_SAFE_INTEGER)).toEqual([]);
      // The hours are long closed (2026-01-01), so the watermark passes all of them (and the
      // closed hours after them that never had a click).
      expect(await view.watermark()).toBeGreaterThanOrEqual(dirty.at(-1)! + 3_600_000);
      console.log(
        `batch exactness: ${records.length} records, ${recount.total} distinct clicks, ${archiver.stats.objects} objects, archived in ${archiveMs} ms, ` +
          `${dirty.length} hours recomputed in ${recomputeMs} ms; ${checked.cells} cells and ${checked.topLists} top lists equal the recount`,
      );
    } finally {
      await view.close();
    }
  });

  it('keeps rejected records with their reason and original bytes under rejected/', async () => {
    const keys = (await f.objects.list(`${f.lakeRoot}rejected/`)).map((o) => o.key);
    expect(keys.length).toBeGreaterThan(0);
    const files = await download(keys, 'rejected');
    const db = await openDuckDb({ threads: 1 });
    try {
      const rows = (
        await db.connection.runAndReadAll(
          `SELECT count(*)::INTEGER, count(reason)::INTEGER FROM read_parquet(${sqlStringList(files)})`,
        )
      ).getRows()[0] as [number, number];
      expect(rows).toEqual([malformedCount(records), malformedCount(records)]);
    } finally {
      closeDuckDb(db);
    }
  });

  it('writes raw Parquet that DuckDB and pyarrow read with the SPEC A4 columns and types', async () => {
    const keys = (await f.objects.list(`${f.lakeRoot}raw/`)).map((o) => o.key);
    expect(keys.every((k) => /raw\/dt=\d{4}-\d{2}-\d{2}\/hour=\d{2}\/p\d+-\d+-\d+\.parquet$/.test(k))).toBe(
      true,
    );
    const files = await download(keys, 'raw');
    const valid = records.length - malformedCount(records);
    const db = await openDuckDb({ threads: 1 });
    try {
      const schema = (
        await db.connection.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${sqlStringList(files)})`)
      )
        .getRows()
        .map((r) => `${r[0]}:${r[1]}`);
      for (const col of [
        'click_id:VARCHAR',
        'ad_id:VARCHAR',
        'click_timestamp:TIMESTAMP',
        'user_id:VARCHAR',
        'ip:VARCHAR',
        'country:VARCHAR',
      ])
        expect(schema).toContain(col);
      expect(schema.some((c) => c.startsWith('kafka_partition:'))).toBe(true);
      expect(schema.some((c) => c.startsWith('kafka_offset:'))).toBe(true);
      const [rows, distinct] = (
        await db.connection.runAndReadAll(
          `SELECT count(*)::INTEGER, count(DISTINCT click_id)::INTEGER FROM read_parquet(${sqlStringList(files)})`,
        )
      ).getRows()[0] as [number, number];
      expect(rows).toBe(valid);
      expect(distinct).toBe(recount.total);
    } finally {
      closeDuckDb(db);
    }

    const script = [
      'import json, sys, pyarrow.parquet as pq, pyarrow as pa',
      't = pa.concat_tables([pq.read_table(p) for p in sys.argv[1:]])',
      'print(json.dumps({"rows": t.num_rows, "schema": {f.name: str(f.type) for f in t.schema}}))',
    ].join('\n');
    const { stdout } = await run('python3', ['-c', script, ...files], { maxBuffer: 16 * 1024 * 1024 });
    const py = JSON.parse(stdout) as { rows: number; schema: Record<string, string> };
    expect(py.rows).toBe(valid);
    for (const c of ['click_id', 'ad_id', 'user_id', 'ip', 'country'])
      expect(py.schema[c], c).toMatch(/^(string|large_string)$/);
    expect(py.schema.click_timestamp).toMatch(/^timestamp\[(ms|us)(, tz=UTC)?\]$/);
    expect(py.schema.kafka_partition).toMatch(/^u?int(32|64)$/);
    expect(py.schema.kafka_offset).toBe('int64');
  });

  async function download(keys: readonly string[], kind: string): Promise<string[]> {
    const files: string[] = [];
    for (const [i, key] of keys.entries()) {
      const file = join(staging, `${kind}-${i}.parquet`);
      await f.objects.getFile(key, file);
      files.push(file);
    }
    return files;
  }
});
