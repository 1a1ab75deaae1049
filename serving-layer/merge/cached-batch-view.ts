import type { MinuteCount, TopList } from '../../shared/aggregate-store/types.ts';
import { DAY_MS, dayOf, HOUR_MS, hourOf, MINUTE_MS } from '../../shared/aggregation/time.ts';
import type { AdCount } from '../../shared/aggregation/top-n.ts';
import { requireWholeNumber } from '../../shared/errors/errors.ts';
import { ReadCache } from './read-cache.ts';
import type { BatchReader } from './types.ts';

/** The batch view as the cache reads it: the merge's reader plus the hour → version pointers. */
export interface VersionedBatchReader extends BatchReader {
  publishedHours(fromHour: number, toHour: number): Promise<Array<{ hour: number; version: number }>>;
}

export interface CachedBatchViewOptions {
  /**
   * How long the published hour → version pointers of a day are reused (default 1000). This is the
   * longest a re-published hour can still be answered from its previous version.
   */
  pointerTtlMs?: number;
  /** Cells (list entries) kept across all cached reads (default 1,000,000: roughly 100 MB). */
  maxCells?: number;
  now?: () => number;
  /** Told of every cell read (not pointer read): a hit or a miss. */
  onRead?: (hit: boolean) => void;
}

type Cached = MinuteCount[] | AdCount[] | { list: TopList | undefined };

/**
 * The batch view behind a cache. A published hour version never changes (a recompute writes a new
 * version and flips the pointer), so every read is cached under the version the pointer names and
 * kept until evicted; only the pointers are looked up again, once per `pointerTtlMs` and day. A
 * re-publish therefore changes the key, and the next read after the pointer refresh misses.
 *
 * Relies on the inner store reading the pointer afresh on each read (the Cassandra batch view's
 * default) and on versions of an hour only increasing: a read keyed by version v then holds v or a
 * newer version, never an older one.
 */
export class CachedBatchView implements BatchReader {
  readonly #inner: VersionedBatchReader;
  readonly #pointerTtlMs: number;
  readonly #now: () => number;
  /** Per day: when the pointer read was sent, and its answer (hour → version). */
  readonly #pointers = new Map<number, { at: number; value: Promise<Map<number, number>> }>();
  /** When the newest watermark read answered (see `versions`). */
  #watermarkSeenAt = Number.NEGATIVE_INFINITY;
  readonly #reads: ReadCache<Cached>;

  constructor(inner: VersionedBatchReader, options: CachedBatchViewOptions = {}) {
    this.#inner = inner;
    this.#pointerTtlMs = options.pointerTtlMs ?? 1000;
    requireWholeNumber('batchCache.pointerTtlMs', this.#pointerTtlMs);
    const now = options.now;
    this.#now = now ?? Date.now;
    this.#reads = new ReadCache({
      maxWeight: options.maxCells ?? 1_000_000,
      ...(now === undefined ? {} : { now }),
      ...(options.onRead === undefined ? {} : { onRead: options.onRead }),
    });
  }

  async watermark(): Promise<number | undefined> {
    const until = await this.#inner.watermark();
    this.#watermarkSeenAt = this.#now();
    return until;
  }

  /**
   * Published version of every hour in `[fromHour, toHour)` that has one. The batch layer publishes
   * an hour before it moves the watermark past it, so pointers read after the watermark was seen
   * hold every hour below it. Cached pointers older than that which lack an hour of the range are
   * read again at once: otherwise a just-published hour under a just-moved watermark would read
   * as empty until the pointers' time to live ran out.
   */
  async versions(fromHour: number, toHour: number): Promise<Map<number, number>> {
    const days: number[] = [];
    for (let day = dayOf(fromHour); day < toHour; day += DAY_MS) days.push(day);
    let out = await this.#collect(days, fromHour, toHour, false);
    let complete = true;
    for (let h = fromHour; complete && h < toHour; h += HOUR_MS) complete = out.has(h);
    if (!complete) out = await this.#collect(days, fromHour, toHour, true);
    return out;
  }

  async #collect(days: number[], fromHour: number, toHour: number, freshOnly: boolean) {
    const perDay = await Promise.all(days.map((day) => this.#dayPointers(day, freshOnly)));
    const out = new Map<number, number>();
    for (const pointers of perDay)
      for (const [hour, version] of pointers) if (hour >= fromHour && hour < toHour) out.set(hour, version);
    return out;
  }

  /** A string that changes whenever a published version of an hour touching `[from, to)` does. */
  async versionTag(fromMinute: number, toMinute: number): Promise<string> {
    const versions = await this.versions(hourOf(fromMinute), toMinute);
    return [...versions].map(([h, v]) => `${h}:${v}`).join(',');
  }

  async minuteCounts(
    adId: string,
    slice: string,
    fromMinute: number,
    toMinute: number,
  ): Promise<MinuteCount[]> {
    if (toMinute <= fromMinute) return [];
    const versions = await this.versions(hourOf(fromMinute), toMinute);
    // Whole hours are cached, so ranges that differ only in their ends share the reads.
    const hours = await Promise.all(
      [...versions].map(
        ([hour, version]) =>
          this.#reads.get(`m|${adId}|${slice}|${hour}|${version}`, Number.POSITIVE_INFINITY, async () => {
            const cells = await this.#inner.minuteCounts(adId, slice, hour, hour + HOUR_MS);
            return { value: cells, weight: cells.length + 1 };
          }) as Promise<MinuteCount[]>,
      ),
    );
    const out: MinuteCount[] = [];
    for (const cells of hours)
      for (const c of cells) if (c.minute >= fromMinute && c.minute < toMinute) out.push(c);
    return out.sort((a, b) => a.minute - b.minute);
  }

  async sliceMinute(slice: string, minute: number): Promise<AdCount[]> {
    const hour = hourOf(minute);
    const version = (await this.versions(hour, hour + HOUR_MS)).get(hour);
    if (version === undefined) return [];
    return this.#reads.get(`s|${slice}|${minute}|${version}`, Number.POSITIVE_INFINITY, async () => {
      const list = await this.#inner.sliceMinute(slice, minute);
      return { value: list, weight: list.length + 1 };
    }) as Promise<AdCount[]>;
  }

  async topList(windowMinutes: number, slice: string, endMinute: number): Promise<TopList | undefined> {
    // The hour whose recompute stored the list: the hour of the window's last minute.
    const hour = hourOf(endMinute - MINUTE_MS);
    const version = (await this.versions(hour, hour + HOUR_MS)).get(hour);
    if (version === undefined) return undefined;
    const key = `t|${windowMinutes}|${slice}|${endMinute}|${version}`;
    const cached = (await this.#reads.get(key, Number.POSITIVE_INFINITY, async () => {
      const list = await this.#inner.topList(windowMinutes, slice, endMinute);
      return { value: { list }, weight: (list?.ads.length ?? 0) + 1 };
    })) as { list: TopList | undefined };
    return cached.list;
  }

  /** A day's pointers, reused for `pointerTtlMs`; with `freshOnly`, only if read after the watermark. */
  #dayPointers(day: number, freshOnly: boolean): Promise<Map<number, number>> {
    const now = this.#now();
    const hit = this.#pointers.get(day);
    if (
      hit !== undefined &&
      now - hit.at < this.#pointerTtlMs &&
      (!freshOnly || hit.at > this.#watermarkSeenAt)
    )
      return hit.value;
    const entry = {
      at: now,
      value: this.#inner
        .publishedHours(day, day + DAY_MS)
        .then((hours) => new Map(hours.map((h) => [h.hour, h.version]))),
    };
    entry.value.catch(() => {
      if (this.#pointers.get(day) === entry) this.#pointers.delete(day);
    });
    if (this.#pointers.size > 64) this.#pointers.clear();
    this.#pointers.set(day, entry);
    return entry.value;
  }
}
