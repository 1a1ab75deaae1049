import type { ViewReader } from '../../shared/aggregate-store/types.ts';
import { MINUTE_MS, minutesIn } from '../../shared/aggregation/time.ts';
import { type AdCount, entriesOf, topN } from '../../shared/aggregation/top-n.ts';
import { mapLimit } from '../../shared/async/map-limit.ts';
import { AdclickError, ErrorCodes, requireWholeNumber } from '../../shared/errors/errors.ts';
import { ReadCache } from './read-cache.ts';
import { boundaryOf, sourceOf, splitRange } from './split.ts';
import type { AnswerSource, MergeOptions, MergeSources, RangePart } from './types.ts';
import { addLists, type RankedSums, ranked, topOfSum } from './window-sums.ts';

export interface CountAnswer {
  count: number;
  source: AnswerSource;
}

export interface SeriesAnswer {
  /** Every minute of the range, zero where no clicks were counted. */
  points: Array<{ minute: number; count: number }>;
  source: AnswerSource;
}

export interface PopularAnswer {
  ads: AdCount[];
  source: AnswerSource;
  /** How the list was built: a stored top list, or per-ad sums of every minute of the window. */
  method: 'stored' | 'summed';
}

/**
 * The serving layer's view of the data: one time boundary (the batch watermark, read once per
 * answer so every part of an answer agrees on it) splits each range into a batch part and a speed
 * part. Ranges are half-open and minute-aligned; callers validate and round them.
 */
export class MergedView {
  readonly #sources: MergeSources;
  readonly #topN: number;
  readonly #concurrency: number;
  readonly #watermarkCacheMs: number;
  #cached: { at: number; value: Promise<number | undefined> } | undefined;
  readonly #popularCache: MergeOptions['popularCache'];
  readonly #answers: ReadCache<Omit<PopularAnswer, 'source'>> | undefined;
  readonly #liveAnswers: ReadCache<Omit<PopularAnswer, 'source'>> | undefined;
  readonly #closedSums: ReadCache<RankedSums> | undefined;

  constructor(sources: MergeSources, options: MergeOptions) {
    requireWholeNumber('merge.topN', options.topN, 1);
    this.#sources = sources;
    this.#topN = options.topN;
    this.#concurrency = options.readConcurrency ?? 16;
    this.#watermarkCacheMs = options.watermarkCacheMs ?? 0;
    this.#popularCache = options.popularCache;
    if (options.popularCache !== undefined) {
      const { maxEntries = 1000, now, onRead } = options.popularCache;
      const clock = { refreshAhead: 0.5, ...(now === undefined ? {} : { now }) };
      const told = (cache: 'answers' | 'live_answers' | 'closed_sums') =>
        onRead === undefined ? {} : { onRead: (hit: boolean) => onRead(cache, hit) };
      this.#answers = new ReadCache({ maxWeight: maxEntries, ...clock, ...told('answers') });
      this.#closedSums = new ReadCache({ maxWeight: 1_000_000, ...clock, ...told('closed_sums') });
      const liveTtlMs = options.popularCache.liveTtlMs ?? 0;
      requireWholeNumber('merge.popularCache.liveTtlMs', liveTtlMs);
      if (liveTtlMs > 0)
        this.#liveAnswers = new ReadCache({ maxWeight: maxEntries, ...clock, ...told('live_answers') });
    }
  }

  /** The current boundary: minutes before it are served by the batch view. */
  async boundary(): Promise<number | undefined> {
    if (this.#watermarkCacheMs <= 0) return boundaryOf(await this.#sources.batch.watermark());
    const now = performance.now();
    if (this.#cached === undefined || now - this.#cached.at >= this.#watermarkCacheMs) {
      const value = this.#sources.batch.watermark();
      this.#cached = { at: now, value };
      // A failed read is not kept: the next answer asks again.
      value.catch(() => {
        if (this.#cached?.value === value) this.#cached = undefined;
      });
    }
    return boundaryOf(await this.#cached.value);
  }

  /** Clicks of one ad in one slice over `[from, to)`. */
  async count(adId: string, slice: string, from: number, to: number): Promise<CountAnswer> {
    const { points, source } = await this.series(adId, slice, from, to);
    let count = 0;
    for (const p of points) count += p.count;
    return { count, source };
  }

  /** Per-minute clicks of one ad in one slice over `[from, to)`. */
  async series(adId: string, slice: string, from: number, to: number): Promise<SeriesAnswer> {
    const boundary = await this.boundary();
    const parts = splitRange(from, to, boundary);
    const byMinute = new Map<number, number>();
    const reads = await Promise.all(
      parts.map((p) =>
        this.#view(p)
          .minuteCounts(adId, slice, p.from, p.to)
          .then((cells) => ({ p, cells })),
      ),
    );
    for (const { p, cells } of reads) {
      // A view may hold minutes outside what it serves (the speed view keeps recent hours the batch
      // has since covered); only the part's own minutes count, so nothing is counted twice.
      for (const c of cells) if (c.minute >= p.from && c.minute < p.to) byMinute.set(c.minute, c.count);
    }
    const points = minutesIn(from, to).map((minute) => ({ minute, count: byMinute.get(minute) ?? 0 }));
    return { points, source: sourceOf(parts, boundary) };
  }

  /**
   * The `n` most clicked ads of a slice over `[endMinute − windowMinutes, endMinute)`. A window
   * inside one view uses that view's stored top list; a window across the boundary (or a caller
   * that may see only some ads, via `adFilter`) sums every ad's minutes from both views and ranks
   * the sums, because two top lists cannot be merged exactly.
   */
  async popular(
    slice: string,
    windowMinutes: number,
    endMinute: number,
    n: number,
    adFilter?: (adId: string) => boolean,
  ): Promise<PopularAnswer> {
    if (n > this.#topN) {
      throw new AdclickError(ErrorCodes.INVALID_INPUT, `count must be at most ${this.#topN}`, {
        details: { parameter: 'count' },
      });
    }
    const boundary = await this.boundary();
    const from = endMinute - windowMinutes * MINUTE_MS;
    const parts = splitRange(from, endMinute, boundary);
    const source = sourceOf(parts, boundary);
    const cached =
      adFilter === undefined ? await this.#answerCache(slice, windowMinutes, endMinute, parts) : undefined;
    if (cached === undefined)
      return { ...(await this.#rank(parts, slice, windowMinutes, endMinute, n, adFilter)), source };
    // The whole ranking is kept, so a smaller `count` is a prefix of the same answer.
    const whole = await cached.cache.get(cached.key, cached.ttlMs, async () => ({
      value: await this.#rank(parts, slice, windowMinutes, endMinute, this.#topN),
      weight: 1,
    }));
    return { ads: whole.ads.slice(0, n), method: whole.method, source };
  }

  /**
   * Where a whole `popular` answer may be kept: answers over closed windows for the closed-minute
   * time to live; answers over windows still open, keyed also by the first open minute, only for
   * the live budget. `undefined`: rank per request.
   */
  async #answerCache(
    slice: string,
    windowMinutes: number,
    endMinute: number,
    parts: readonly RangePart[],
  ): Promise<{ cache: ReadCache<Omit<PopularAnswer, 'source'>>; key: string; ttlMs: number } | undefined> {
    const options = this.#popularCache;
    if (options === undefined) return undefined;
    const closedBefore = options.closedBefore();
    const open = endMinute > closedBefore;
    if (open && this.#liveAnswers === undefined) return undefined;
    const cut = await this.#partsKey(slice, parts);
    if (cut === undefined) return undefined;
    if (!open)
      return { cache: this.#answers!, key: `${windowMinutes}|${endMinute}|${cut}`, ttlMs: options.ttlMs };
    return {
      cache: this.#liveAnswers!,
      key: `${windowMinutes}|${endMinute}|${closedBefore}|${cut}`,
      ttlMs: options.liveTtlMs ?? 0,
    };
  }

  /** Names the minutes of `parts` and the batch versions they are read at; `undefined`: uncacheable. */
  async #partsKey(slice: string, parts: readonly RangePart[]): Promise<string | undefined> {
    const batch = parts.find((p) => p.view === 'batch');
    let versions = '';
    if (batch !== undefined) {
      if (this.#sources.batch.versionTag === undefined) return undefined;
      versions = await this.#sources.batch.versionTag(batch.from, batch.to);
    }
    const cut = parts.map((p) => `${p.view}:${p.from}-${p.to}`).join(',');
    return `${slice}|${cut}|${versions}`;
  }

  async #rank(
    parts: readonly RangePart[],
    slice: string,
    windowMinutes: number,
    endMinute: number,
    n: number,
    adFilter?: (adId: string) => boolean,
  ): Promise<Omit<PopularAnswer, 'source'>> {
    if (parts.length === 1 && adFilter === undefined) {
      const stored = await this.#view(parts[0]!).topList(windowMinutes, slice, endMinute);
      if (stored !== undefined) return { ads: stored.ads.slice(0, n), method: 'stored' };
    }
    const closedBefore = this.#popularCache?.closedBefore();
    if (adFilter === undefined && closedBefore !== undefined) {
      // A window still open at its end: its closed minutes' sums are cached and ranked once, and
      // only the open minutes are read and added per request.
      const closed = parts
        .map((p) => ({ ...p, to: Math.min(p.to, closedBefore) }))
        .filter((p) => p.from < p.to);
      const open = parts
        .map((p) => ({ ...p, from: Math.max(p.from, closedBefore) }))
        .filter((p) => p.from < p.to);
      const key = closed.length > 0 && open.length > 0 ? await this.#partsKey(slice, closed) : undefined;
      if (key !== undefined) {
        const [base, live] = await Promise.all([
          this.#closedSums!.get(key, this.#popularCache!.ttlMs, async () => {
            const sums = ranked(await this.#sum(closed, slice));
            return { value: sums, weight: sums.ranked.length + 1 };
          }),
          this.#sum(open, slice),
        ]);
        return { ads: topOfSum(base, live, n), method: 'summed' };
      }
    }
    return { ads: topN(entriesOf(await this.#sum(parts, slice, adFilter)), n), method: 'summed' };
  }

  /** Per-ad sums over every minute of `parts` (only the ads `adFilter` accepts, when given). */
  async #sum(
    parts: readonly RangePart[],
    slice: string,
    adFilter?: (adId: string) => boolean,
  ): Promise<Map<string, number>> {
    const totals = new Map<string, number>();
    for (const part of parts) {
      const view = this.#view(part);
      const lists = await mapLimit(minutesIn(part.from, part.to), this.#concurrency, (m) =>
        view.sliceMinute(slice, m),
      );
      addLists(totals, lists, adFilter);
    }
    return totals;
  }

  #view(part: RangePart): ViewReader {
    return part.view === 'batch' ? this.#sources.batch : this.#sources.speed;
  }
}
