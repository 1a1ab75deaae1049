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
  peer: {
    roundsSeconds: number[];
    /** Process CPU seconds per round (DuckDB threads included). */
    roundsCpuSeconds: number[];
    clicksPerSecond: number;
    cells: number;
    clicks: number;
  };
  /**
   * The peer query with the batch layer's dedup rule (first copy in Kafka order) instead of
   * `any_value`: how much of the gap to the peer that rule alone costs.
   */
  firstCopyPeer: { roundsSeconds: number[]; clicksPerSecond: number };
  recompute: {
    roundsSeconds: number[];
    roundsCpuSeconds: number[];
    clicksPerSecond: number;
    cells: number;
    topLists: number;
    /** The engine's own steps, timed inside the best recompute round. */
    stagesSeconds: Record<string, number>;
  };
  recomputeVsPeerTime: number;
  /** Recompute best time over the first-copy peer's best time (reported, not judged). */
  recomputeVsFirstCopyPeerTime: number;
  /** Best-round CPU seconds, recompute over peer: the comparison that survives a busy machine. */
  recomputeVsPeerCpu: number;
  /** 1-minute load average when the timed rounds started and after the Cassandra write. */
  loadAverage: { before: number; after: number };
  cassandra: {
    rows: number;
    seconds: number;
    rowsPerSecond: number;
    /** Cells written (those of the hour's first minutes, see `--cassandra-cells`) of all the hour's. */
    cellsWritten: number;
    cellsOfHour: number;
    /** Reading every cell of the hour from the engine into Node (lazily, at the view write). */
    cellsReadSeconds: number;
  };
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
    'The peer keeps any copy of a duplicated click (`any_value`), so a click_id reused with another ad',
    'or time could land on either from one run to the next; the recompute keeps the first copy in Kafka',
    'order, so every run gives the same answer. The second peer row prices that rule alone.',
    '',
    '| measure | value | target |',
    '| --- | --- | --- |',
    ...writerRows,
    `| lake generation (generator + DuckDB writer, ${r.files} files) | ${r.lakeWrite.seconds} s, writer ${int(r.lakeWrite.writerRowsPerSecond)} rows/s | |`,
    `| bare DuckDB query: dedup + per-minute × slice cells | ${int(r.peer.clicksPerSecond)} clicks/s (${int(r.peer.cells)} cells) | (peer) |`,
    `| the same query keeping the first copy of a click in Kafka order (the batch layer's rule: \`arg_min\`, not \`any_value\`) | ${int(r.firstCopyPeer.clicksPerSecond)} clicks/s (${r.firstCopyPeer.roundsSeconds.join(' / ')} s; recompute / this: ${r.recomputeVsFirstCopyPeerTime}×) | (reported) |`,
    `| recompute engine: dedup, cells, top-N lists, agg/ Parquet, candidate cells read into Node | ${int(r.recompute.clicksPerSecond)} clicks/s (${int(r.recompute.cells)} cells, ${int(r.recompute.topLists)} top lists) | |`,
    `| recompute time / peer time | ${r.recomputeVsPeerTime}× | ≤ ${r.targets.recomputeVsPeerTime}× (${ok(r.recomputeVsPeerTime <= r.targets.recomputeVsPeerTime)}) |`,
    `| recompute CPU / peer CPU (best rounds: ${Math.min(...r.recompute.roundsCpuSeconds)} / ${Math.min(...r.peer.roundsCpuSeconds)} s) | ${r.recomputeVsPeerCpu}× | (noise check) |`,
    `| batch view write to Cassandra (CassandraBatchViewStore.writeHourVersion) | ${int(r.cassandra.rowsPerSecond)} rows/s (${int(r.cassandra.rows)} rows in ${r.cassandra.seconds} s: ${int(r.cassandra.cellsWritten)} of the hour's ${int(r.cassandra.cellsOfHour)} cells, 2 rows each, plus the top lists) | reported |`,
    `| the hour's cells read from the engine into Node for the view write (not part of the recompute) | ${int(Math.round(r.cassandra.cellsOfHour / r.cassandra.cellsReadSeconds))} cells/s (${r.cassandra.cellsReadSeconds} s) | (reported) |`,
    '',
    `Peer and recompute agree on the cells: ${sameCells ? 'yes' : `NO (peer ${r.peer.cells} cells / ${r.peer.clicks} clicks, recompute ${r.recompute.cells} / ${r.distinctClicks})`}.`,
    'Where the recompute spends its time (its own steps, timed inside the best round):',
    '',
    '| stage | seconds |',
    '| --- | --- |',
    ...Object.entries(r.recompute.stagesSeconds).map(([stage, s]) => `| ${stage} | ${s} |`),
    '',
    `Whole run: ${r.totalSeconds} s. Load average (1 min) ${r.loadAverage.before} before the timed rounds, ${r.loadAverage.after} at the end${r.loadAverage.before > machine.cores / 2 ? ' — a busy machine: treat the times as noisy' : ''}.`,
    '',
  ];
  writeFileSync(join(dir, 'bench-batch.md'), lines.join('\n'));
}
