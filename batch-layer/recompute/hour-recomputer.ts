import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { BatchViewStore } from '../../shared/aggregate-store/types.ts';
import type { AggregationDefinition } from '../../shared/aggregation/definition.ts';
import { HOUR_MS, isoDate, isoHour } from '../../shared/aggregation/time.ts';
import type { Logger } from '../../shared/logger/logger.ts';
import type { ObjectStore } from '../../shared/object-store/types.ts';
import type { LakeLayout } from '../lake/lake-layout.ts';
import type { HourLedger } from '../ledger/types.ts';
import type { RecomputeEngine } from './types.ts';

export interface HourRecomputerDeps {
  objects: ObjectStore;
  layout: LakeLayout;
  engine: RecomputeEngine;
  view: BatchViewStore;
  ledger: HourLedger;
  definition: AggregationDefinition;
  /** Local folder objects are staged in (DuckDB here reads local files only). */
  stagingDir: string;
  logger: Logger;
  /** Also write `agg/minute` and `agg/top` Parquet (default true). */
  writeAggParquet?: boolean;
  /**
   * Deletes the rows of superseded versions of an hour after its pointer flipped (keeping the one
   * just replaced, for readers that looked it up a moment ago). A failure is logged, not thrown:
   * the hour is published by then, and the next recompute of the hour tries again.
   */
  purgeSuperseded?: (hour: number) => Promise<number[]>;
  /** Hours are closed once older than this (allowed lateness plus a margin); the watermark stops there. */
  closedAfterMs: number;
  now?: () => number;
}

/** What one hour's recompute did. */
export interface HourRecomputeResult {
  hour: number;
  version: number;
  objects: number;
  rawRows: number;
  clicks: number;
  cells: number;
  topLists: number;
  durationMs: number;
  /** The batch watermark after this hour (epoch ms), if any. */
  watermark: number | undefined;
}

/**
 * Recomputes one hour end to end: stage the hour's raw objects (and the previous hour's, for
 * top-N windows), compute with DuckDB, write the batch view under a new version, write `agg/`
 * Parquet, flip the hour's pointer last, then advance the batch watermark. The caller holds the
 * hour's lock, so two workers never recompute one hour at once.
 */
export class HourRecomputer {
  private readonly now: () => number;

  constructor(private readonly deps: HourRecomputerDeps) {
    this.now = deps.now ?? Date.now;
  }

  async recompute(hour: number): Promise<HourRecomputeResult> {
    const started = this.now();
    const { objects, layout, view, ledger, engine } = this.deps;
    const log = this.deps.logger.child({ hour: new Date(hour).toISOString() });
    // Read the generation before listing: writes that land after it leave the hour dirty.
    const generation = await ledger.generation(hour);
    const dir = join(this.deps.stagingDir, `${isoDate(hour)}T${isoHour(hour)}-${process.pid}-${started}`);
    await mkdir(dir, { recursive: true });
    try {
      const hourFiles = await this.stage(layout.rawHourPrefix(hour), join(dir, 'hour'));
      const previousHourFiles = await this.stage(layout.rawHourPrefix(hour - HOUR_MS), join(dir, 'previous'));
      const writeAgg = this.deps.writeAggParquet ?? true;
      const aggMinuteFile = join(dir, 'agg-minute.parquet');
      const aggTopFile = join(dir, 'agg-top.parquet');
      const result = await engine.compute({
        hour,
        hourFiles,
        previousHourFiles,
        definition: this.deps.definition,
        ...(writeAgg ? { aggMinuteFile, aggTopFile } : {}),
      });

      const published = await view.publishedHours(hour, hour + HOUR_MS);
      const version = Math.max(this.now(), (published[0]?.version ?? 0) + 1);
      await view.writeHourVersion(hour, version, result.cells, result.topLists);
      if (writeAgg) {
        await objects.putFile(layout.aggMinuteKey(hour), aggMinuteFile, 'application/vnd.apache.parquet');
        await objects.putFile(layout.aggTopKey(hour), aggTopFile, 'application/vnd.apache.parquet');
      }
      await view.publishHour(hour, version, result.clicks);
      await this.purge(hour, log);
      await ledger.markComputed(hour, generation);
      const watermark = await this.advanceWatermark();
      const out: HourRecomputeResult = {
        hour,
        version,
        objects: hourFiles.length,
        rawRows: result.rawRows,
        clicks: result.clicks,
        cells: result.cells.size,
        topLists: result.topLists.length,
        durationMs: this.now() - started,
        watermark,
      };
      log.info({ ...out }, 'hour recomputed');
      return out;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /**
   * Moves the watermark over every closed hour that is published or has never had rows, starting
   * where it stands (or at the first hour the lake ever had). Serialised by a lock so two workers
   * never move it backwards.
   */
  async advanceWatermark(): Promise<number | undefined> {
    const { view, ledger } = this.deps;
    return ledger.withLock('watermark', { ttlMs: 30_000, waitMs: 60_000 }, async () => {
      const current = await view.watermark();
      const start = current ?? (await ledger.firstHour());
      if (start === undefined) return current;
      const closedUntil = this.now() - this.deps.closedAfterMs;
      const published = new Set((await view.publishedHours(start, closedUntil)).map((h) => h.hour));
      let w = start;
      while (w + HOUR_MS <= closedUntil) {
        if (!published.has(w) && (await ledger.generation(w)) > 0) break;
        w += HOUR_MS;
      }
      if (w > (current ?? start)) {
        await view.setWatermark(w);
        return w;
      }
      return current;
    });
  }

  private async purge(hour: number, log: Logger): Promise<void> {
    if (this.deps.purgeSuperseded === undefined) return;
    try {
      const purged = await this.deps.purgeSuperseded(hour);
      if (purged.length > 0) log.info({ versions: purged }, 'superseded batch versions deleted');
    } catch (error) {
      const err = error instanceof Error ? error.message : String(error);
      log.warn({ err }, 'could not delete superseded batch versions; the next recompute retries');
    }
  }

  private async stage(prefix: string, dir: string): Promise<string[]> {
    const listed = (await this.deps.objects.list(prefix)).filter((o) => o.key.endsWith('.parquet'));
    if (listed.length === 0) return [];
    await mkdir(dir, { recursive: true });
    const files: string[] = [];
    for (const [i, object] of listed.entries()) {
      const file = join(dir, `${i}.parquet`);
      await this.deps.objects.getFile(object.key, file);
      files.push(file);
    }
    return files;
  }
}
