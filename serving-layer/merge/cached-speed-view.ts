import type { MinuteCount, TopList, ViewReader } from '../../shared/aggregate-store/types.ts';
import { HOUR_MS, hourOf, minuteOf } from '../../shared/aggregation/time.ts';
import type { AdCount } from '../../shared/aggregation/top-n.ts';
import { requireWholeNumber } from '../../shared/errors/errors.ts';
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
  /**
   * How long a read of minutes still open is reused (default 0: read per request). Above 0,
   * concurrent identical reads share one round trip and the result serves later ones for this
   * long, so a click written to an open minute shows up to this much later than a live read would.
   */
  openTtlMs?: number;
  /**
   * Budget of one ad's open cells (`minuteCounts`), default `openTtlMs`. Larger when nothing is
   * cached on top of them: one ad's reads are far sparser than a slice's, so they need longer to
   * be shared at all.
   */
  openCellsTtlMs?: number;
  /** Cells kept across cached reads of open minutes (default 200,000). */
  maxOpenCells?: number;
  now?: () => number;
  /** Told of every read of closed minutes: a hit or a miss. */
  onRead?: (hit: boolean) => void;
  /** Told of every read of open minutes while `openTtlMs` > 0: a hit or a miss. */
  onOpenRead?: (hit: boolean) => void;
}

type Cached = MinuteCount[] | AdCount[] | { list: TopList | undefined };

/**
 * The speed view behind two short caches. Minutes the watermark has passed (older than
 * `closedAfterMs`) are reused for at most `ttlMs`. Minutes still open change with every flush of
 * the speed layer, so they are reused only for the freshness budget `openTtlMs` (0: read at every
 * request): what a click changes is visible within that budget.
 */
export class CachedSpeedView implements ViewReader {
  readonly #inner: ViewReader;
  readonly #closedAfterMs: number;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #reads: ReadCache<Cached>;
  readonly #openTtlMs: number;
  readonly #openCellsTtlMs: number;
  readonly #open: ReadCache<Cached>;

  constructor(inner: ViewReader, options: CachedSpeedViewOptions) {
    this.#inner = inner;
    this.#closedAfterMs = options.closedAfterMs;
    this.#ttlMs = options.ttlMs ?? 5000;
    this.#openTtlMs = options.openTtlMs ?? 0;
    this.#openCellsTtlMs = options.openCellsTtlMs ?? this.#openTtlMs;
    for (const [path, v] of [
      ['speedCache.closedAfterMs', this.#closedAfterMs],
      ['speedCache.ttlMs', this.#ttlMs],
      ['speedCache.openTtlMs', this.#openTtlMs],
      ['speedCache.openCellsTtlMs', this.#openCellsTtlMs],
    ] as const)
      requireWholeNumber(path, v);
    this.#now = options.now ?? Date.now;
    this.#reads = new ReadCache({
      maxWeight: options.maxCells ?? 500_000,
      now: this.#now,
      // Steadily read closed minutes are reloaded in the background before they expire.
      refreshAhead: 0.5,
      ...(options.onRead === undefined ? {} : { onRead: options.onRead }),
    });
    this.#open = new ReadCache({
      maxWeight: options.maxOpenCells ?? 200_000,
      now: this.#now,
      // A steadily read open minute is re-read in the background after half the budget, so
      // requests rarely wait for Cassandra; no entry is served older than the budget.
      refreshAhead: 0.5,
      ...(options.onOpenRead === undefined ? {} : { onRead: options.onOpenRead }),
    });
  }

  /** An open-minute read, shared and reused within the freshness budget when there is one. */
  #live<V extends Cached>(
    key: string,
    read: () => Promise<V>,
    weight: (v: V) => number,
    ttlMs = this.#openTtlMs,
  ): Promise<V> {
    if (ttlMs <= 0) return read();
    return this.#open.get(key, ttlMs, async () => {
      const value = await read();
      return { value, weight: weight(value) };
    }) as Promise<V>;
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
    const closedTo = fromMinute < closed ? Math.min(toMinute, closed) : fromMinute;
    for (let hour = hourOf(fromMinute); hour < closedTo; hour += HOUR_MS) {
      const upTo = Math.min(hour + HOUR_MS, closed);
      reads.push(
        this.#reads.get(`m|${adId}|${slice}|${hour}|${upTo}`, this.#ttlMs, async () => {
          const cells = await this.#inner.minuteCounts(adId, slice, hour, upTo);
          return { value: cells, weight: cells.length + 1 };
        }) as Promise<MinuteCount[]>,
      );
    }
    const openFrom = Math.max(fromMinute, closed);
    if (openFrom < toMinute)
      reads.push(
        this.#live(
          `m|${adId}|${slice}|${openFrom}|${toMinute}`,
          () => this.#inner.minuteCounts(adId, slice, openFrom, toMinute),
          (cells) => cells.length + 1,
          this.#openCellsTtlMs,
        ),
      );
    // The parts are cut at one `closed` value, so they do not overlap.
    const out: MinuteCount[] = [];
    for (const cells of await Promise.all(reads))
      for (const c of cells) if (c.minute >= fromMinute && c.minute < toMinute) out.push(c);
    return out;
  }

  sliceMinute(slice: string, minute: number): Promise<AdCount[]> {
    if (minute >= this.closedBefore())
      return this.#live(
        `s|${slice}|${minute}`,
        () => this.#inner.sliceMinute(slice, minute),
        (list) => list.length + 1,
      );
    return this.#reads.get(`s|${slice}|${minute}`, this.#ttlMs, async () => {
      const list = await this.#inner.sliceMinute(slice, minute);
      return { value: list, weight: list.length + 1 };
    }) as Promise<AdCount[]>;
  }

  async topList(windowMinutes: number, slice: string, endMinute: number): Promise<TopList | undefined> {
    if (endMinute > this.closedBefore()) {
      const open = await this.#live(
        `t|${windowMinutes}|${slice}|${endMinute}`,
        async () => ({ list: await this.#inner.topList(windowMinutes, slice, endMinute) }),
        ({ list }) => (list?.ads.length ?? 0) + 1,
      );
      return open.list;
    }
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
