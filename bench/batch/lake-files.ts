import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { RawClickRow } from '../../batch-layer/lake/types.ts';
import type { ParquetWriter } from '../../batch-layer/parquet/types.ts';
import { MINUTE_MS } from '../../shared/aggregation/time.ts';
import { generateClicks } from '../../shared/generator/generator.ts';

/** The book-shaped workload of SPEC C: Zipf-skewed ads, 8 countries, 5% duplicates, 1% late. */
export interface Workload {
  clicks: number;
  ads: number;
  /** Hour start (epoch ms); every event time falls inside this hour. */
  hour: number;
}

/**
 * Raw lake rows of the workload, in chunks as the archiver would flush them. Event time starts 6
 * minutes into the hour (late clicks lag up to 5 min 3 s) and spans 50 minutes, so every click,
 * late ones included, falls in the one hour the recompute is asked for.
 */
export function* rawRowChunks(workload: Workload, chunkRows: number): Generator<RawClickRow[]> {
  const offsets = new Map<number, bigint>();
  let chunk: RawClickRow[] = [];
  for (const r of generateClicks({
    seed: 42,
    clicks: workload.clicks,
    startMs: workload.hour + 6 * MINUTE_MS,
    ads: workload.ads,
    countries: ['US', 'KR', 'DE', 'JP', 'GB', 'FR', 'BR', 'IN'],
    clicksPerSecond: Math.max(1, workload.clicks / (50 * 60)),
    duplicateFraction: 0.05,
    lateFraction: 0.01,
    malformedFraction: 0,
    partitions: 12,
  })) {
    const e = r.event;
    if (e === undefined) continue;
    const offset = offsets.get(r.partition) ?? 0n;
    offsets.set(r.partition, offset + 1n);
    chunk.push({ ...e, kafkaPartition: r.partition, kafkaOffset: offset });
    if (chunk.length === chunkRows) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}

/** What writing the lake took. */
export interface LakeWrite {
  files: string[];
  rows: number;
  bytes: number;
  /** Wall time including generation. */
  seconds: number;
  /** Time spent inside the writer only. */
  writerSeconds: number;
}

/** Generates the workload into Parquet files under `dir` with `writer`, reporting progress. */
export async function writeLake(
  workload: Workload,
  writer: ParquetWriter,
  dir: string,
  progress: (line: string) => void,
  chunkRows = 500_000,
): Promise<LakeWrite> {
  const started = performance.now();
  const files: string[] = [];
  let rows = 0;
  let bytes = 0;
  let writerMs = 0;
  for (const chunk of rawRowChunks(workload, chunkRows)) {
    const file = join(dir, `raw-${String(files.length).padStart(5, '0')}.parquet`);
    const t = performance.now();
    await writer.writeRaw(chunk, file);
    writerMs += performance.now() - t;
    files.push(file);
    rows += chunk.length;
    bytes += statSync(file).size;
    progress(`lake: ${rows} rows in ${files.length} files (${(bytes / 1e6).toFixed(0)} MB)`);
  }
  return {
    files,
    rows,
    bytes,
    seconds: (performance.now() - started) / 1000,
    writerSeconds: writerMs / 1000,
  };
}

/** One writer's rate on a fixed set of rows, like the archiver's flush of one file. */
export interface WriterRate {
  kind: string;
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  fileBytes: number;
  bytesPerRow: number;
}

export async function measureWriter(
  writer: ParquetWriter,
  rows: readonly RawClickRow[],
  file: string,
): Promise<WriterRate> {
  const started = performance.now();
  await writer.writeRaw(rows, file);
  const seconds = (performance.now() - started) / 1000;
  const fileBytes = statSync(file).size;
  return {
    kind: writer.kind,
    rows: rows.length,
    seconds: Number(seconds.toFixed(2)),
    rowsPerSecond: Math.round(rows.length / seconds),
    fileBytes,
    bytesPerRow: Number((fileBytes / rows.length).toFixed(1)),
  };
}
