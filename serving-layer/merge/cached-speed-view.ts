import type { MinuteCount, TopList, ViewReader } from '../../shared/aggregate-store/types.ts';
import { HOUR_MS, hourOf, minuteOf } from '../../shared/aggregation/time.ts';
import type { AdCount } from '../../shared/aggregation/top-n.ts';
import { AdclickError, ErrorCodes } from '../../shared/errors/errors.ts';
import { ReadCache } from './read-cache.ts';

export interface CachedSpeedViewOptions {
  /**
   * How long after its end a minute is taken as closed (no more writes to its cells): at least the
   * speed layer's allowed lateness plus its idle timeout, so that the watermark has passed it.
   */
  closedAfterMs: number;
  /**
   * How long a read of closed minutes is reused (default 5000). Closed cells do not change by
   * design; the limit bounds staleness when the speed layer is behind (consumer lag), which the
   * wall-clock rule above cannot see.
   */
  ttlMs?: number;
  /** Cells (list entries) kept across all cached reads (default 500,000: roughly 50 MB). */
  maxCells?: number;
  now?: () => number;
  /** Told of every read of closed minutes: a hit or a miss (open minutes are not counted). */
  onRead?: (hit: boolean) => void;
}

type Cached = MinuteCount[] | AdCount[] | { list: TopList | undefined };

/**
 * The speed view behind a short cache of closed minutes. Minutes still open (within
 * `closedAfterMs` of now) are always read from the view, so what a click changes is visible at the
 * next request; only minutes the watermark has passed are reused, for at most `ttlMs`.
 */
export class CachedSpeedView implements ViewReader {
  readonly #inner: ViewReader;
  readonly #closedAfterMs: number;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #reads: ReadCache<Cached>;

  constructor(inner: ViewReader, options: CachedSpeedViewOptions) {
    this.#inner = inner;
    this.#closedAfterMs = options.closedAfterMs;
    this.#ttlMs = options.ttlMs ?? 5000;
    for (const [path, v] of [
      ['speedCache.closedAfterMs', this.#closedAfterMs],
      ['speedCache.ttlMs', this.#ttlMs],
    ] as const) {
      if (!Number.isInteger(v) || v < 0)
        throw new AdclickError(ErrorCodes.CONFIG_INVALID, `${path} must be a whole number ≥ 0`, {
          details: { path },
        });
    }
    this.#now = options.now ?? Date.now;
    this.#reads = new ReadCache({
      maxWeight: options.maxCells ?? 500_000,
      now: this.#now,
      // Steadily read closed minutes are reloaded in the background before they expire.
      refreshAhead: 0.5,
      ...(options.onRead === undefined ? {} : { onRead: options.onRead }),
    });
  }

  /** First minute that may still change: every minute before it is closed. */
  closedBefore(): number {
    return minuteOf(this.#now() - this.#closedAfterMs);
  }

  async minuteCounts(
    adId: string,
    slice: string,
    fromMinute: number,
    toMinute: number,
  ): Promise<MinuteCount[]> {
    if (toMinute <= fromMinute) return [];
    const closed = this.closedBefore();
    const reads: Array<Promise<MinuteCount[]>> = [];
    // Closed minutes by hour partition: a past hour's key is stable; the current hour's grows by
    // one minute as each minute closes.
    for (let hour = hourOf(fromMinute); hour < Math.min(toMinute, closed); hour += HOUR_MS) {
      const upTo = Math.min(hour + HOUR_MS, closed);
      reads.push(
        this.#reads.get(`m|${adId}|${slice}|${hour}|${upTo}`, this.#ttlMs, async () => {
          const cells = await this.#inner.minuteCounts(adId, slice, hour, upTo);
          return { value: cells, weight: cells.length + 1 };
        }) as Promise<MinuteCount[]>,
      );
    }
    const openFrom = Math.max(fromMinute, closed);
    if (openFrom < toMinute) reads.push(this.#inner.minuteCounts(adId, slice, openFrom, toMinute));
    // The parts are cut at one `closed` value, so they do not overlap.
    const out: MinuteCount[] = [];
    for (const cells of await Promise.all(reads))
      for (const c of cells) if (c.minute >= fromMinute && c.minute < toMinute) out.push(c);
    return out;
  }

  sliceMinute(slice: string, minute: number): Promise<AdCount[]> {
    if (minute >= this.closedBefore()) return this.#inner.sliceMinute(slice, minute);
    return this.#reads.get(`s|${slice}|${minute}`, this.#ttlMs, async () => {
      const list = await this.#inner.sliceMinute(slice, minute);
      return { value: list, weight: list.length + 1 };
    }) as Promise<AdCount[]>;
  }

  async topList(windowMinutes: number, slice: string, endMinute: number): Promise<TopList | undefined> {
    if (endMinute > this.closedBefore()) return this.#inner.topList(windowMinutes, slice, endMinute);
    const cached = (await this.#reads.get(
      `t|${windowMinutes}|${slice}|${endMinute}`,
      this.#ttlMs,
      async () => {
        const list = await this.#inner.topList(windowMinutes, slice, endMinute);
        return { value: { list }, weight: (list?.ads.length ?? 0) + 1 };
      },
    )) as { list: TopList | undefined };
    return cached.list;
  }
}
