import type { Client } from 'cassandra-driver';
import { DAY_MS, dayOf, MINUTE_MS, minuteOf } from '../aggregation/time.ts';
import { translateCassandraError } from '../cassandra/errors.ts';
import type { MinuteCount } from './types.ts';

const Q = {
  markers:
    'SELECT partition, watermark FROM speed_closed_minutes WHERE day = ? AND minute >= ? AND minute < ?',
  sliceCells:
    'SELECT minute, count FROM speed_slice_minute_counts WHERE slice = ? AND minute IN ? AND ad_id = ?',
} as const;

/** Markers this far around a read's range tell which partitions may hold its minutes. */
const MARKER_MARGIN_MS = 60 * MINUTE_MS;
/** Open minutes read at most per request (a partition lagging more is read as closed). */
const MAX_OPEN_MINUTES = 60;
/** How long a marker scan is reused: a stale one only makes more minutes count as open. */
const MARKERS_TTL_MS = 1000;

/**
 * Which minutes of the speed view are still open, from the closed-minute markers (migration 012).
 *
 * The speed layer writes every changed cell into `speed_slice_minute_counts` (rows of one slice
 * and minute share a partition, so a flush costs a few mutations) and writes the per-ad
 * `speed_ad_minute_counts` row once, when the minute closes, before the partition's marker.
 * Each partition also marks the newest minute its watermark has passed at every minute boundary,
 * with or without clicks, so its latest marker's watermark is its progress. Every minute that ends
 * by the smallest such watermark over the partitions marked around the range is complete in
 * `speed_ad_minute_counts`; later minutes are read from the slice rows, which are always current.
 * A partition without a marker within an hour of the range holds no clicks of it; without any
 * marker (a view seeded by `upsertMinuteCounts`) every minute is read as closed.
 */
export class SpeedOpenMinutes {
  readonly #client: () => Client;
  readonly #cache = new Map<string, { at: number; closedBefore: Promise<number> }>();

  constructor(client: () => Client) {
    this.#client = client;
  }

  /** Start of the first minute of `[fromMinute, toMinute)` that may be open (`toMinute` if none). */
  async openFrom(fromMinute: number, toMinute: number): Promise<number> {
    const lo = fromMinute - MARKER_MARGIN_MS;
    const hi = toMinute + MARKER_MARGIN_MS;
    const key = `${lo}:${hi}`;
    const now = Date.now();
    let entry = this.#cache.get(key);
    if (entry === undefined || now - entry.at > MARKERS_TTL_MS) {
      if (this.#cache.size > 256) this.#cache.clear();
      entry = { at: now, closedBefore: this.#closedBefore(lo, hi) };
      this.#cache.set(key, entry);
      entry.closedBefore.catch(() => this.#cache.delete(key));
    }
    const closedBefore = await entry.closedBefore;
    return Math.min(toMinute, Math.max(fromMinute, closedBefore));
  }

  /** One ad's cells of the minutes `[fromMinute, toMinute)` from the slice rows (open minutes). */
  async read(adId: string, slice: string, fromMinute: number, toMinute: number): Promise<MinuteCount[]> {
    const minutes: Date[] = [];
    for (let m = fromMinute; m < toMinute && minutes.length < MAX_OPEN_MINUTES; m += MINUTE_MS)
      minutes.push(new Date(m));
    if (minutes.length === 0) return [];
    try {
      const rs = await this.#client().execute(Q.sliceCells, [slice, minutes, adId], { prepare: true });
      return rs.rows
        .map((r) => ({ adId, slice, minute: (r.minute as Date).getTime(), count: Number(r.count) }))
        .sort((a, b) => a.minute - b.minute);
    } catch (error) {
      throw translateCassandraError(error, { operation: 'read of open minute counts' });
    }
  }

  /** End of the minutes every marked partition has closed, as a minute start (+∞ with no marker). */
  async #closedBefore(lo: number, hi: number): Promise<number> {
    const progress = new Map<number, number>();
    try {
      for (let day = dayOf(lo); day < hi; day += DAY_MS) {
        const rs = await this.#client().execute(Q.markers, [new Date(day), new Date(lo), new Date(hi)], {
          prepare: true,
          fetchSize: 5000,
        });
        for await (const row of rs) {
          const p = row.partition as number;
          const wm = (row.watermark as Date).getTime();
          progress.set(p, Math.max(progress.get(p) ?? Number.NEGATIVE_INFINITY, wm));
        }
      }
    } catch (error) {
      throw translateCassandraError(error, { operation: 'read of closed minutes' });
    }
    if (progress.size === 0) return Number.POSITIVE_INFINITY;
    // Minute m is closed once the watermark reaches m + 1 min: the minute holding it is not.
    return minuteOf(Math.min(...progress.values()));
  }
}
