import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import type { AggregationDefinition } from '../../shared/aggregation/definition.ts';
import type { WriterRate } from './lake-files.ts';

/** Everything `npm run bench:batch` measured. Rates count raw rows read (duplicates included). */
export interface BatchReport {
  clicks: number;
  ads: number;
  rawRows: number;
  distinctClicks: number;
  files: number;
  lakeBytes: number;
  definition: AggregationDefinition;
  writers: WriterRate[];
  lakeWrite: { seconds: number; writerRowsPerSecond: number };
  peer: { roundsSeconds: number[]; clicksPerSecond: number; cells: number; clicks: number };
  recompute: {
    roundsSeconds: number[];
    clicksPerSecond: number;
    cells: number;
    topLists: number;
    /** The engine's own steps, timed inside the best recompute round. */
    stagesSeconds: Record<string, number>;
  };
  recomputeVsPeerTime: number;
  cassandra: { rows: number; seconds: number; rowsPerSecond: number };
  totalSeconds: number;
  targets: { recomputeVsPeerTime: number };
}

/** Writes `bench-batch.json` and `bench-batch.md` (machine info included) under `dir`. */
export function writeReports(dir: string, report: BatchReport): void {
  const machine = {
    cores: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Number((totalmem() / 2 ** 30).toFixed(1)),
    node: process.version,
  };
  const measuredAt = new Date().toISOString();
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'bench-batch.json'),
    `${JSON.stringify({ ...report, machine, measuredAt }, null, 2)}\n`,
  );
  const r = report;
  const ok = (pass: boolean) => (pass ? 'meets' : 'misses');
  const int = (n: number) => n.toLocaleString('en-US');
  const sameCells = r.peer.cells === r.recompute.cells && r.peer.clicks === r.distinctClicks;
  const writerRows = r.writers.map(
    (w) =>
      `| ${w.kind} writer, ${int(w.rows)} rows in one file | ${int(w.rowsPerSecond)} rows/s, ${(w.fileBytes / 1e6).toFixed(1)} MB (${w.bytesPerRow} B/row) | (compared) |`,
  );
  const lines = [
    '# Batch layer benchmark',
    '',
    `${int(r.rawRows)} raw rows (${int(r.clicks)} distinct clicks + 5% duplicates, 1% late) over ${int(r.ads)} Zipf-skewed ads and 8 countries, in ${r.files} local Parquet files of one hour (${(r.lakeBytes / 1e6).toFixed(0)} MB, DuckDB writer). Measured ${measuredAt}.`,
    '',
    `Machine: ${machine.cores} cores (${machine.cpu}), ${machine.memoryGiB} GiB, Node ${machine.node}.`,
    '',
    `Aggregation: slices \`all\` + ${r.definition.dimensions.join(', ')}; top-${r.definition.topN} over windows of ${r.definition.windowsMinutes.join(', ')} min.`,
    'Rates are raw rows read per second (duplicates included); recompute and peer are the best of',
    `${r.recompute.roundsSeconds.length} alternating rounds (recompute ${r.recompute.roundsSeconds.join(' / ')} s, peer ${r.peer.roundsSeconds.join(' / ')} s).`,
    '',
    '| measure | value | target |',
    '| --- | --- | --- |',
    ...writerRows,
    `| lake generation (generator + DuckDB writer, ${r.files} files) | ${r.lakeWrite.seconds} s, writer ${int(r.lakeWrite.writerRowsPerSecond)} rows/s | |`,
    `| bare DuckDB query: dedup + per-minute × slice cells | ${int(r.peer.clicksPerSecond)} clicks/s (${int(r.peer.cells)} cells) | (peer) |`,
    `| recompute engine: dedup, cells, top-N lists, agg/ Parquet, rows read into Node | ${int(r.recompute.clicksPerSecond)} clicks/s (${int(r.recompute.cells)} cells, ${int(r.recompute.topLists)} top lists) | |`,
    `| recompute time / peer time | ${r.recomputeVsPeerTime}× | ≤ ${r.targets.recomputeVsPeerTime}× (${ok(r.recomputeVsPeerTime <= r.targets.recomputeVsPeerTime)}) |`,
    `| batch view write to Cassandra (CassandraBatchViewStore.writeHourVersion) | ${int(r.cassandra.rowsPerSecond)} rows/s (${int(r.cassandra.rows)} rows in ${r.cassandra.seconds} s) | reported |`,
    '',
    `Peer and recompute agree on the cells: ${sameCells ? 'yes' : `NO (peer ${r.peer.cells} cells / ${r.peer.clicks} clicks, recompute ${r.recompute.cells} / ${r.distinctClicks})`}.`,
    'Where the recompute spends its time (its own steps, timed inside the best round):',
    '',
    '| stage | seconds |',
    '| --- | --- |',
    ...Object.entries(r.recompute.stagesSeconds).map(([stage, s]) => `| ${stage} | ${s} |`),
    '',
    `Whole run: ${r.totalSeconds} s.`,
    '',
  ];
  writeFileSync(join(dir, 'bench-batch.md'), lines.join('\n'));
}
