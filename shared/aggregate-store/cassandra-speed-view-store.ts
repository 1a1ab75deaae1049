import { type Client, types } from 'cassandra-driver';
import { dayOf, HOUR_MS, hourOf } from '../aggregation/time.ts';
import type { AdCount } from '../aggregation/top-n.ts';
import { connectCassandraClient } from '../cassandra/client.ts';
import { translateCassandraError } from '../cassandra/errors.ts';
import { cassandraOptionsFrom } from '../cassandra/options.ts';
import { writeConcurrently } from '../cassandra/write-concurrently.ts';
import type { AdclickConfig } from '../config/types.ts';
import { AdclickError, ErrorCodes } from '../errors/errors.ts';
import type { Logger } from '../logger/logger.ts';
import { readMinuteCells, speedMinuteCells, topListOfRow } from './read-minute-cells.ts';
import type { ClosedMinute, MinuteCount, SpeedViewStore, TopList } from './types.ts';

const Q = {
  upsertCell:
    'INSERT INTO speed_minute_counts (ad_id, slice, hour, minute, count, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
  upsertCellFinal:
    'INSERT INTO speed_minute_counts (ad_id, slice, hour, minute, count, final, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  markClosed:
    'INSERT INTO speed_closed_minutes (day, minute, partition, watermark, closed_at) VALUES (?, ?, ?, ?, ?)',
  upsertSliceCell: 'INSERT INTO speed_slice_minute_counts (slice, minute, ad_id, count) VALUES (?, ?, ?, ?)',
  upsertTop:
    'INSERT INTO speed_top_ads (window_minutes, slice, day, end_minute, ad_ids, counts, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  readCells:
    'SELECT minute, count FROM speed_minute_counts WHERE ad_id = ? AND slice = ? AND hour = ? AND minute >= ? AND minute < ?',
  readSlice: 'SELECT ad_id, count FROM speed_slice_minute_counts WHERE slice = ? AND minute = ?',
  readTop:
    'SELECT ad_ids, counts FROM speed_top_ads WHERE window_minutes = ? AND slice = ? AND day = ? AND end_minute = ?',
} as const;

/**
 * Rows of one `(slice, minute)` partition sent as one unlogged batch: Cassandra applies a
 * single-partition batch as one mutation, so a minute with 100,000 ads costs ~1,600 requests
 * instead of 100,000. Small enough (~4 KB) to stay under the server's batch size warning.
 */
const SLICE_BATCH_ROWS = 64;
const BATCH_CONCURRENCY = 16;

/**
 * The speed view in Cassandra (tables of migrations 001 and 012). Every write is an upsert of an absolute
 * value — a replay after a crash rewrites the same rows with the same values — never a counter
 * increment, which a retried write would apply twice.
 */
export class CassandraSpeedViewStore implements SpeedViewStore {
  readonly #config: AdclickConfig;
  readonly #logger: Logger;
  #client: Client | undefined;

  constructor(config: AdclickConfig, logger: Logger) {
    this.#config = config;
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

  async upsertMinuteCounts(cells: readonly MinuteCount[], final?: boolean): Promise<void> {
    const now = new Date();
    const params: unknown[][] = [];
    const bySliceMinute = new Map<string, unknown[][]>();
    for (const c of cells) {
      const minute = new Date(c.minute);
      const row: unknown[] = [
        c.adId,
        c.slice,
        new Date(hourOf(c.minute)),
        minute,
        types.Long.fromNumber(c.count),
      ];
      if (final !== undefined) row.push(final);
      row.push(now);
      params.push(row);
      const key = `${c.slice}\n${c.minute}`;
      let rows = bySliceMinute.get(key);
      if (rows === undefined) {
        rows = [];
        bySliceMinute.set(key, rows);
      }
      rows.push([c.slice, minute, c.adId, types.Long.fromNumber(c.count)]);
    }
    await Promise.all([
      writeConcurrently(
        this.#started(),
        final === undefined ? Q.upsertCell : Q.upsertCellFinal,
        params,
        'upsert of minute counts',
      ),
      this.#writeSliceBatches([...bySliceMinute.values()]),
    ]);
  }

  async #writeSliceBatches(partitions: unknown[][][]): Promise<void> {
    const batches: unknown[][][] = [];
    for (const rows of partitions) {
      for (let i = 0; i < rows.length; i += SLICE_BATCH_ROWS)
        batches.push(rows.slice(i, i + SLICE_BATCH_ROWS));
    }
    if (batches.length === 0) return;
    const client = this.#started();
    let next = 0;
    const worker = async () => {
      while (next < batches.length) {
        const batch = batches[next++]!;
        if (batch.length === 1) await client.execute(Q.upsertSliceCell, batch[0], { prepare: true });
        else
          await client.batch(
            batch.map((params) => ({ query: Q.upsertSliceCell, params })),
            { prepare: true, logged: false },
          );
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(BATCH_CONCURRENCY, batches.length) }, worker));
    } catch (error) {
      throw translateCassandraError(error, { operation: 'upsert of slice minute counts' });
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
    const params: unknown[][] = [];
    for (let hour = hourOf(fromMinute); hour < toMinute; hour += HOUR_MS) {
      params.push([adId, slice, new Date(hour), new Date(fromMinute), new Date(toMinute)]);
    }
    return readMinuteCells(client, Q.readCells, params, { adId, slice }, 'read of minute counts');
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
