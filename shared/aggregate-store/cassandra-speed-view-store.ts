import { type Client, types } from 'cassandra-driver';
import { dayOf, HOUR_MS, hourOf } from '../aggregation/time.ts';
import type { AdCount } from '../aggregation/top-n.ts';
import { connectCassandraClient } from '../cassandra/client.ts';
import { translateCassandraError } from '../cassandra/errors.ts';
import { cassandraOptionsFrom } from '../cassandra/options.ts';
import { partitionChunks } from '../cassandra/partition-batches.ts';
import { writeConcurrently } from '../cassandra/write-concurrently.ts';
import type { AdclickConfig } from '../config/types.ts';
import { AdclickError, ErrorCodes } from '../errors/errors.ts';
import type { Logger } from '../logger/logger.ts';
import { adBucket } from './ad-buckets.ts';
import { CqlValues } from './cql-values.ts';
import { readMinuteCells, speedMinuteCells, topListOfRow } from './read-minute-cells.ts';
import { SpeedOpenMinutes } from './speed-open-minutes.ts';
import type { CellWrite, ClosedMinute, MinuteCount, SpeedViewStore, TopList } from './types.ts';

const Q = {
  upsertAdCell:
    'INSERT INTO speed_ad_minute_counts (slice, hour, bucket, ad_id, minute, count) VALUES (?, ?, ?, ?, ?, ?)',
  markClosed:
    'INSERT INTO speed_closed_minutes (day, minute, partition, watermark, closed_at) VALUES (?, ?, ?, ?, ?)',
  upsertSliceCell: 'INSERT INTO speed_slice_minute_counts (slice, minute, ad_id, count) VALUES (?, ?, ?, ?)',
  upsertMinuteSlice: 'INSERT INTO speed_minute_slices (minute, slice) VALUES (?, ?)',
  upsertTop:
    'INSERT INTO speed_top_ads (window_minutes, slice, day, end_minute, ad_ids, counts, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  readCells:
    'SELECT minute, count FROM speed_ad_minute_counts WHERE slice = ? AND hour = ? AND bucket = ? AND ad_id = ? AND minute >= ? AND minute < ?',
  readSlice: 'SELECT ad_id, count FROM speed_slice_minute_counts WHERE slice = ? AND minute = ?',
  readTop:
    'SELECT ad_ids, counts FROM speed_top_ads WHERE window_minutes = ? AND slice = ? AND day = ? AND end_minute = ?',
} as const;

/** One statement of a batch. */
interface Statement {
  query: string;
  params: unknown[];
}

/** How the speed view's writes are grouped (defaults suit one local node; see the fields). */
export interface SpeedViewWriteTuning {
  /**
   * Rows of one `(slice, minute)` partition per unlogged batch (default 64): Cassandra applies a
   * single-partition batch as one mutation, so a minute with 100,000 ads costs ~1,600 requests
   * instead of 100,000, each small enough (~4 KB) to stay under the batch size warning.
   */
  sliceBatchRows: number;
  /** Rows of one `(slice, hour, bucket)` partition of the per-ad table per unlogged batch (default 64). */
  adBatchRows: number;
  /** Batches in flight at once (default 16). */
  concurrency: number;
}

const DEFAULT_TUNING: SpeedViewWriteTuning = { sliceBatchRows: 64, adBatchRows: 64, concurrency: 16 };

/**
 * Appends the statements of `items` to `into` as batches of at most `size`, one partition each
 * (`partition` names it), so every batch is a single mutation.
 */
function batchByPartition<T>(
  items: readonly T[],
  partition: (item: T) => string,
  statement: (item: T) => Statement,
  size: number,
  into: Statement[][],
): void {
  for (const chunk of partitionChunks(items, partition, size)) into.push(chunk.map(statement));
}

/**
 * The speed view in Cassandra (tables of migrations 001, 012, 014 and 032). Every cell is written
 * to the per-(slice, minute) rows whenever it changes, and once more to the per-ad rows when its
 * minute closes; readers take minutes still open from the former (see `SpeedOpenMinutes`). Every
 * write is an upsert of an absolute value — a replay after a crash rewrites the same rows with the same values — never a counter
 * increment, which a retried write would apply twice.
 */
export class CassandraSpeedViewStore implements SpeedViewStore {
  readonly #config: AdclickConfig;
  readonly #logger: Logger;
  readonly #tuning: SpeedViewWriteTuning;
  #client: Client | undefined;
  readonly #open = new SpeedOpenMinutes(() => this.#started());
  readonly #values = new CqlValues();

  constructor(config: AdclickConfig, logger: Logger, tuning: Partial<SpeedViewWriteTuning> = {}) {
    this.#config = config;
    this.#tuning = { ...DEFAULT_TUNING, ...tuning };
    this.#logger = logger.child({ component: 'cassandra-speed-view' });
  }

  async start(): Promise<void> {
    this.#client ??= await connectCassandraClient(cassandraOptionsFrom(this.#config), this.#logger);
  }

  async close(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    await client?.shutdown();
  }

  isReady(): boolean {
    return this.#client !== undefined && this.#client.getState().getConnectedHosts().length > 0;
  }

  upsertMinuteCounts(cells: readonly MinuteCount[]): Promise<void> {
    return this.upsertCells({ changed: cells, closed: cells });
  }

  /**
   * `changed` into the per-(slice, minute) rows (and the minute's slice list), `closed` into the
   * per-ad rows; every batch holds rows of one partition only.
   */
  async upsertCells(cells: CellWrite): Promise<void> {
    const { sliceBatchRows, adBatchRows } = this.#tuning;
    const v = this.#values;
    const batches: Statement[][] = [];
    batchByPartition(
      cells.changed,
      (c) => `${c.slice}\n${c.minute}`,
      (c) => ({
        query: Q.upsertSliceCell,
        params: [v.text(c.slice), v.timestamp(c.minute), c.adId, v.bigint(c.count)],
      }),
      sliceBatchRows,
      batches,
    );
    const minuteSlices = new Map<string, { minute: number; slice: string }>();
    for (const c of cells.changed) minuteSlices.set(`${c.minute}\n${c.slice}`, c);
    batchByPartition(
      [...minuteSlices.values()],
      (c) => String(c.minute),
      (c) => ({ query: Q.upsertMinuteSlice, params: [v.timestamp(c.minute), v.text(c.slice)] }),
      sliceBatchRows,
      batches,
    );
    batchByPartition(
      cells.closed.map((c) => ({ cell: c, hour: hourOf(c.minute), bucket: adBucket(c.adId) })),
      (r) => `${r.cell.slice}\n${r.hour}\n${r.bucket}`,
      ({ cell: c, hour, bucket }) => ({
        query: Q.upsertAdCell,
        params: [
          v.text(c.slice),
          v.timestamp(hour),
          v.int(bucket),
          c.adId,
          v.timestamp(c.minute),
          v.bigint(c.count),
        ],
      }),
      adBatchRows,
      batches,
    );
    await this.#writeBatches(batches, 'upsert of minute counts');
  }

  /** Unlogged batches, `concurrency` in flight: one request each instead of one per row. */
  async #writeBatches(batches: readonly Statement[][], operation: string): Promise<void> {
    if (batches.length === 0) return;
    const client = this.#started();
    let next = 0;
    const worker = async () => {
      while (next < batches.length) {
        const batch = batches[next++]!;
        if (batch.length === 1) await client.execute(batch[0]!.query, batch[0]!.params, { prepare: true });
        else await client.batch(batch, { prepare: true, logged: false });
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(this.#tuning.concurrency, batches.length) }, worker));
    } catch (error) {
      throw translateCassandraError(error, { operation });
    }
  }

  async upsertTopLists(lists: readonly TopList[]): Promise<void> {
    const now = new Date();
    const params = lists.map((l) => [
      l.windowMinutes,
      l.slice,
      new Date(dayOf(l.endMinute)),
      new Date(l.endMinute),
      l.ads.map((a) => a.adId),
      l.ads.map((a) => types.Long.fromNumber(a.count)),
      now,
    ]);
    await writeConcurrently(this.#started(), Q.upsertTop, params, 'upsert of top lists');
  }

  async markMinutesClosed(closed: readonly ClosedMinute[]): Promise<void> {
    const now = new Date();
    const params = closed.map((c) => [
      new Date(dayOf(c.minute)),
      new Date(c.minute),
      c.partition,
      new Date(c.watermarkMs),
      now,
    ]);
    await writeConcurrently(this.#started(), Q.markClosed, params, 'record of closed minutes');
  }

  async minuteCounts(
    adId: string,
    slice: string,
    fromMinute: number,
    toMinute: number,
  ): Promise<MinuteCount[]> {
    const client = this.#started();
    const openFrom = await this.#open.openFrom(fromMinute, toMinute);
    const params: unknown[][] = [];
    const bucket = adBucket(adId);
    for (let hour = hourOf(fromMinute); hour < openFrom; hour += HOUR_MS) {
      params.push([slice, new Date(hour), bucket, adId, new Date(fromMinute), new Date(openFrom)]);
    }
    const [closed, open] = await Promise.all([
      readMinuteCells(client, Q.readCells, params, { adId, slice }, 'read of minute counts'),
      this.#open.read(adId, slice, openFrom, toMinute),
    ]);
    return open.length === 0 ? closed : [...closed, ...open];
  }

  async sliceMinute(slice: string, minute: number): Promise<AdCount[]> {
    const client = this.#started();
    const out: AdCount[] = [];
    try {
      const result = await client.execute(Q.readSlice, [slice, new Date(minute)], {
        prepare: true,
        fetchSize: 5000,
      });
      // Async iteration fetches the following pages of a large minute transparently.
      for await (const row of result) out.push({ adId: row.ad_id as string, count: Number(row.count) });
    } catch (error) {
      throw translateCassandraError(error, { operation: 'read of a slice minute' });
    }
    return out;
  }

  async topList(windowMinutes: number, slice: string, endMinute: number): Promise<TopList | undefined> {
    const client = this.#started();
    try {
      const rs = await client.execute(
        Q.readTop,
        [windowMinutes, slice, new Date(dayOf(endMinute)), new Date(endMinute)],
        {
          prepare: true,
        },
      );
      const row = rs.first();
      return topListOfRow(row, { windowMinutes, slice, endMinute });
    } catch (error) {
      throw translateCassandraError(error, { operation: 'read of a top list' });
    }
  }

  minuteCells(minute: number): Promise<MinuteCount[]> {
    return speedMinuteCells(this.#started(), minute);
  }

  #started(): Client {
    if (this.#client === undefined) {
      throw new AdclickError(ErrorCodes.NOT_STARTED, 'CassandraSpeedViewStore used before start()');
    }
    return this.#client;
  }
}
