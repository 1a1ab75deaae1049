/**
 * `npm run bench:batch`: throughput of the batch layer on this machine (SPEC C: the recompute
 * within 1.25× of one bare DuckDB query computing the same aggregates over the same Parquet files;
 * the Cassandra write of the batch view reported as rows/s beside it).
 *
 * 1. compares the two Parquet writers (DuckDB, parquetjs-lite) on `--writer-rows` archiver rows;
 * 2. generates `--clicks` book-shaped clicks (Zipf ads, 8 countries, 5% duplicates, 1% late) into
 *    local Parquet files of one hour with the DuckDB writer;
 * 3. times the bare DuckDB peer query, the same query with the batch layer's dedup rule (first
 *    copy in Kafka order, to show what that rule costs) and the project's recompute engine (as the
 *    batch layer runs it, `agg/` Parquet included), two rounds each, alternating, best round counted;
 * 4. writes the hour's batch view (the cells of its first minutes, up to `--cassandra-cells`, and
 *    every top list) to a throwaway Cassandra keyspace through CassandraBatchViewStore;
 * and writes reports/bench-batch.json and reports/bench-batch.md.
 *
 *   npm run bench:batch -- --clicks=10000000 --ads=200000 --writer-rows=1000000 [--rounds=2]
 *     [--cassandra-cells=1000000] [--out=reports]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createParquetWriter } from '../../batch-layer/parquet/create-parquet-writer.ts';
import { DuckDbRecomputeEngine } from '../../batch-layer/recompute/duckdb-recompute-engine.ts';
import type { HourAggregates } from '../../batch-layer/recompute/types.ts';
import { CassandraBatchViewStore } from '../../shared/aggregate-store/cassandra-batch-view-store.ts';
import type { MinuteCount } from '../../shared/aggregate-store/types.ts';
import { definitionFrom } from '../../shared/aggregation/definition.ts';
import { HOUR_MS, hourOf } from '../../shared/aggregation/time.ts';
import { createTestKeyspace } from '../../shared/cassandra/testing.ts';
import { loadConfig } from '../../shared/config/config.ts';
import { createLogger } from '../../shared/logger/logger.ts';
import { measureWriter, rawRowChunks, writeLake } from './lake-files.ts';
import { timePeer } from './peer-query.ts';
import { type BatchReport, writeReports } from './report.ts';

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
if (args.has('help') || args.has('h')) {
  console.log(`npm run bench:batch -- [--clicks=10000000] [--ads=200000] [--writer-rows=1000000] [--rounds=2]
  [--cassandra-cells=1000000] [--out=reports]
Small runs for before/after comparisons: --clicks=2000000 --writer-rows=10000 --out=/tmp/bench-batch`);
  process.exit(0);
}
const CLICKS = Number(args.get('clicks') ?? 10_000_000);
const ADS = Number(args.get('ads') ?? 200_000);
const WRITER_ROWS = Number(args.get('writer-rows') ?? 1_000_000);
const ROUNDS = Number(args.get('rounds') ?? 2);
// The Cassandra write is measured on the cells of the hour's first minutes, up to this many: the
// rate is per row either way, and writing all ~5M cells of 10M clicks would take most of the run.
const CASSANDRA_CELLS = Number(args.get('cassandra-cells') ?? 1_000_000);
const root = join(import.meta.dirname, '..', '..');

/** The cells of the earliest minutes, whole minutes only, up to `limit` cells (at least one minute). */
function firstMinutesCells(cells: readonly MinuteCount[], limit: number): MinuteCount[] {
  if (cells.length <= limit) return [...cells];
  const perMinute = new Map<number, number>();
  for (const c of cells) perMinute.set(c.minute, (perMinute.get(c.minute) ?? 0) + 1);
  let cutoff = -Infinity;
  let total = 0;
  for (const [minute, n] of [...perMinute].sort(([a], [b]) => a - b)) {
    if (total + n > limit && cutoff !== -Infinity) break;
    total += n;
    cutoff = minute;
  }
  return cells.filter((c) => c.minute <= cutoff);
}

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
}

function log(line: string): void {
  process.stderr.write(`bench:batch ${line}\n`);
}

async function compareWriters(dir: string): Promise<BatchReport['writers']> {
  const rows = rawRowChunks({ clicks: WRITER_ROWS, ads: ADS, hour: 0 }, WRITER_ROWS).next().value ?? [];
  const out: BatchReport['writers'] = [];
  for (const kind of ['duckdb', 'parquetjs'] as const) {
    const writer = createParquetWriter(kind);
    try {
      log(`writer ${kind}: writing ${rows.length} rows`);
      const rate = await measureWriter(writer, rows, join(dir, `writer-${kind}.parquet`));
      log(`writer ${kind}: ${rate.rowsPerSecond} rows/s, ${(rate.fileBytes / 1e6).toFixed(1)} MB`);
      out.push(rate);
    } finally {
      await writer.close();
    }
  }
  return out;
}

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const definition = definitionFrom(config);
  const hour = hourOf(Date.now()) - 3 * HOUR_MS;
  const dir = mkdtempSync(join(tmpdir(), 'adclick-bench-batch-'));
  const started = performance.now();
  try {
    const writers = await compareWriters(dir);
    rmSync(join(dir, 'writer-duckdb.parquet'), { force: true });
    rmSync(join(dir, 'writer-parquetjs.parquet'), { force: true });

    log(`generating ${CLICKS} clicks over ${ADS} ads into ${dir}`);
    const lakeWriter = createParquetWriter('duckdb');
    const lake = await writeLake({ clicks: CLICKS, ads: ADS, hour }, lakeWriter, dir, log).finally(() =>
      lakeWriter.close(),
    );
    log(`lake: ${lake.rows} rows, ${lake.files.length} files, ${lake.seconds.toFixed(1)} s`);

    const peerRounds: number[] = [];
    const projectRounds: number[] = [];
    // CPU seconds of this process (DuckDB's threads included): far less disturbed than wall time
    // by other work on a shared machine, so before/after comparisons can use them.
    const peerCpu: number[] = [];
    const projectCpu: number[] = [];
    const firstCopyRounds: number[] = [];
    const loadBefore = loadavg()[0] ?? 0;
    let peer = { seconds: 0, cells: 0, clicks: 0 };
    let result: HourAggregates | undefined;
    let bestStages: Record<string, number> | undefined;
    let engine: DuckDbRecomputeEngine | undefined;
    for (let round = 1; round <= ROUNDS; round++) {
      let cpu = process.cpuUsage();
      peer = await timePeer(lake.files);
      peerCpu.push(cpuSeconds(cpu));
      peerRounds.push(peer.seconds);
      log(`round ${round}: peer query ${peer.seconds.toFixed(2)} s (${peer.cells} cells)`);
      const firstCopy = await timePeer(lake.files, 'first-copy');
      firstCopyRounds.push(firstCopy.seconds);
      log(`round ${round}: peer query, first copy in Kafka order ${firstCopy.seconds.toFixed(2)} s`);
      result = undefined;
      // The last round's engine stays open: the hour's cells are read from it for the view write.
      await engine?.close();
      engine = new DuckDbRecomputeEngine();
      const t = performance.now();
      cpu = process.cpuUsage();
      result = await engine.compute({
        hour,
        hourFiles: lake.files,
        previousHourFiles: [],
        definition,
        aggMinuteFile: join(dir, 'agg-minute.parquet'),
        aggTopFile: join(dir, 'agg-top.parquet'),
      });
      const seconds = (performance.now() - t) / 1000;
      projectCpu.push(cpuSeconds(cpu));
      if (projectRounds.every((s) => s > seconds)) bestStages = result.stagesMs;
      projectRounds.push(seconds);
      log(`round ${round}: recompute ${seconds.toFixed(2)} s (${result.cells.size} cells)`);
    }
    if (result === undefined) throw new Error('no recompute round ran');
    const stages = Object.fromEntries(
      Object.entries(bestStages ?? {}).map(([name, ms]) => [name, Number((ms / 1000).toFixed(2))]),
    );
    log(`recompute stages (s): ${JSON.stringify(stages)}`);

    // The engine hands the hour's cells over lazily; reading them all is timed on its own (in
    // production it happens inside the view write, batch by batch).
    let t = performance.now();
    const hourCells: MinuteCount[] = [];
    for await (const batch of result.cells.batches()) for (const c of batch) hourCells.push(c);
    const cellsReadSeconds = (performance.now() - t) / 1000;
    await engine?.close();
    log(`read ${hourCells.length} hour cells from DuckDB in ${cellsReadSeconds.toFixed(2)} s`);
    const written = firstMinutesCells(hourCells, CASSANDRA_CELLS);
    log(
      `writing ${written.length} of ${hourCells.length} cells and ${result.topLists.length} top lists to Cassandra`,
    );
    const keyspace = await createTestKeyspace({ config, prefix: 'bench_batch' });
    let cassandraSeconds = 0;
    try {
      const store = new CassandraBatchViewStore(
        loadConfig({ ...process.env, CASSANDRA_KEYSPACE: keyspace.keyspace }),
        createLogger({ level: 'warn' }),
      );
      await store.start();
      try {
        t = performance.now();
        await store.writeHourVersion(hour, Date.now(), written, result.topLists);
        cassandraSeconds = (performance.now() - t) / 1000;
      } finally {
        await store.close();
      }
    } finally {
      await keyspace.drop();
    }
    // writeHourVersion writes each cell to two tables plus one row per top list.
    const cassandraRows = written.length * 2 + result.topLists.length;
    log(`cassandra: ${cassandraRows} rows in ${cassandraSeconds.toFixed(1)} s`);

    const peerBest = Math.min(...peerRounds);
    const projectBest = Math.min(...projectRounds);
    const report: BatchReport = {
      clicks: CLICKS,
      ads: ADS,
      rawRows: lake.rows,
      distinctClicks: result.clicks,
      files: lake.files.length,
      lakeBytes: lake.bytes,
      definition,
      writers,
      lakeWrite: {
        seconds: Number(lake.seconds.toFixed(1)),
        writerRowsPerSecond: Math.round(lake.rows / lake.writerSeconds),
      },
      peer: {
        roundsSeconds: peerRounds.map((s) => Number(s.toFixed(2))),
        roundsCpuSeconds: peerCpu.map((s) => Number(s.toFixed(2))),
        clicksPerSecond: Math.round(lake.rows / peerBest),
        cells: peer.cells,
        clicks: peer.clicks,
      },
      firstCopyPeer: {
        roundsSeconds: firstCopyRounds.map((s) => Number(s.toFixed(2))),
        clicksPerSecond: Math.round(lake.rows / Math.min(...firstCopyRounds)),
      },
      recompute: {
        roundsSeconds: projectRounds.map((s) => Number(s.toFixed(2))),
        roundsCpuSeconds: projectCpu.map((s) => Number(s.toFixed(2))),
        clicksPerSecond: Math.round(lake.rows / projectBest),
        cells: result.cells.size,
        topLists: result.topLists.length,
        stagesSeconds: stages,
      },
      recomputeVsPeerTime: Number((projectBest / peerBest).toFixed(3)),
      recomputeVsFirstCopyPeerTime: Number((projectBest / Math.min(...firstCopyRounds)).toFixed(3)),
      recomputeVsPeerCpu: Number((Math.min(...projectCpu) / Math.min(...peerCpu)).toFixed(3)),
      loadAverage: { before: Number(loadBefore.toFixed(2)), after: Number((loadavg()[0] ?? 0).toFixed(2)) },
      cassandra: {
        rows: cassandraRows,
        seconds: Number(cassandraSeconds.toFixed(1)),
        rowsPerSecond: Math.round(cassandraRows / cassandraSeconds),
        cellsWritten: written.length,
        cellsOfHour: result.cells.size,
        cellsReadSeconds: Number(cellsReadSeconds.toFixed(2)),
      },
      totalSeconds: Number(((performance.now() - started) / 1000).toFixed(0)),
      targets: { recomputeVsPeerTime: 1.25 },
    };
    writeReports(args.get('out') ?? join(root, 'reports'), report);
    console.log(JSON.stringify(report, null, 2));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
