import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CassandraReconciliationReportStore } from '../../../../serving-layer/reconciliation/cassandra-report-store.ts';
import { DuckDbLakeEvidence } from '../../../../serving-layer/reconciliation/duckdb-lake-evidence.ts';
import { reconcileDay, reconcileHour } from '../../../../serving-layer/reconciliation/reconcile.ts';
import type { MismatchCell, ReconcileDeps } from '../../../../serving-layer/reconciliation/types.ts';
import { LakeCache } from '../../../../serving-layer/sql/lake-cache.ts';
import { definitionFrom } from '../../../../shared/aggregation/definition.ts';
import { createTestKeyspace, type TestKeyspace } from '../../../../shared/cassandra/testing.ts';
import { silentLogger } from '../../../../shared/logger/logger.ts';
import { s3OptionsFrom } from '../../../../shared/s3/options.ts';
import { S3ObjectStore } from '../../../../shared/s3/s3-object-store.ts';
import { requireCassandra, requireS3, testConfig } from '../../../helpers/services.ts';
import { writeRawLake } from '../lake-fixture.ts';
import { PrefixedObjectStore } from '../prefixed-object-store.ts';
import { HOUR, MINUTE, streamFixture } from '../stream-fixture.ts';
import { cellsOf, configFor, openViews, seedBatchHours, seedSpeed } from '../views.ts';

const config = testConfig();
const START = Date.UTC(2026, 2, 11, 8, 0);
const DATE = '2026-03-11';
// 25 minutes of event time: reconciling reads every country slice of every minute with clicks.
const f = streamFixture(START, 'rc-', 23, 300, { clicks: 3000, clicksPerSecond: 2 });
const s3 = new S3ObjectStore(s3OptionsFrom(config), silentLogger());
const root = `test/reconcile-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}/`;
const dir = mkdtempSync(join(tmpdir(), 'adclick-reconcile-'));
let ks: TestKeyspace;
let views: Awaited<ReturnType<typeof openViews>>;
let deps: ReconcileDeps;

/** `ad|slice|minute` of every cell a late click (for the speed layer) falls in. */
function lateCells(): Set<string> {
  const out = new Set<string>();
  for (const r of f.records) {
    const e = r.event;
    if (e === undefined || !f.speed.late.has(e.clickId)) continue;
    const minute = Math.floor(e.timestampMs / MINUTE) * MINUTE;
    out.add(`${e.adId}|all|${minute}`).add(`${e.adId}|country=${e.country}|${minute}`);
  }
  return out;
}
const keyOf = (m: MismatchCell) => `${m.adId}|${m.slice}|${m.minute}`;

beforeAll(async () => {
  await Promise.all([requireCassandra(config), requireS3(config)]);
  ks = await createTestKeyspace({ config, prefix: 'reconcile' });
  views = await openViews(configFor(config, ks.keyspace));
  await s3.start();
  // Late clicks of the first minutes fall in 07:xx, so that hour is recomputed too.
  const hours = [START - HOUR, START, START + HOUR];
  await Promise.all([
    seedSpeed(views.speed, f.speed, []),
    seedBatchHours(views.batch, f.all, hours, 1, []),
    writeRawLake(s3, root, f.records),
  ]);
  await views.batch.setWatermark(START + 2 * HOUR);
  const definition = definitionFrom(config);
  deps = {
    speed: views.speed,
    batch: views.batch,
    reports: new CassandraReconciliationReportStore(ks.client, ks.keyspace),
    objects: new PrefixedObjectStore(s3, root),
    lake: new DuckDbLakeEvidence({
      cache: new LakeCache(s3, join(dir, 'cache')),
      definition,
      allowedLatenessMs: 20_000,
      root,
    }),
    definition,
    logger: silentLogger(),
  };
});

afterAll(async () => {
  await views?.close();
  await ks?.drop();
  for (const o of await s3.list(root).catch(() => [])) await s3.delete(o.key);
  await s3.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('reconciliation over the real views, lake and report store', () => {
  it('a day with late clicks: mismatch, exactly the late clicks’ cells, each explained as late', async () => {
    const expected = lateCells();
    expect(expected.size).toBeGreaterThan(20);
    const started = performance.now();
    const report = await reconcileDay(deps, DATE);
    const ms = performance.now() - started;

    expect(report.status).toBe('mismatch');
    expect(report.speedTotal).toBe(f.speed.total);
    expect(report.batchTotal).toBe(f.all.total);
    expect(report.cellsMismatching).toBe(expected.size);
    expect(report.causes).toEqual({ late_clicks: expected.size, batch_hour_missing: 0, unexplained: 0 });
    expect(report.cellsCompared).toBe(f.all.cells.size);
    expect(report.batchHoursPublished).toBe(3);

    const full = new TextDecoder()
      .decode(await deps.objects!.get(report.fullListKey!))
      .split('\n')
      .map((line) => JSON.parse(line) as MismatchCell);
    expect(new Set(full.map(keyOf))).toEqual(expected);
    for (const m of full) {
      const [adId, slice, minute] = [m.adId, m.slice, m.minute];
      expect(m.cause).toBe('late_clicks');
      expect(m.batch).toBe(f.all.count(adId, slice, minute, minute + MINUTE));
      expect(m.speed).toBe(f.speed.count(adId, slice, minute, minute + MINUTE));
      expect(m.late).toBe(m.batch - m.speed);
    }
    expect(report.mismatches).toEqual(full.slice(0, 100));

    expect(await deps.reports.get(DATE)).toEqual(report);
    expect((await deps.reports.recentDays(7)).map((r) => r.id)).toEqual([DATE]);
    console.log(`reconcileDay: ${report.cellsCompared} cells compared in ${Math.round(ms)} ms`);
  });

  it('once the speed view holds what the batch view holds, the hour reconciles to match', async () => {
    const hour = START;
    const cells = cellsOf(f.all).filter((c) => c.minute >= hour && c.minute < hour + HOUR);
    await views.speed.upsertMinuteCounts(cells);
    const report = await reconcileHour(deps, hour + 17 * MINUTE);
    expect(report).toMatchObject({
      id: '2026-03-11T08',
      scope: 'hour',
      status: 'match',
      cellsMismatching: 0,
      cellsCompared: cells.length,
      batchHoursPublished: 1,
      fullListKey: null,
    });
    expect(report.speedTotal).toBe(report.batchTotal);
    expect(await deps.reports.get('2026-03-11T08')).toEqual(report);
  });
});
